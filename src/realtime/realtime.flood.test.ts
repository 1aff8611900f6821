import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { createSession, signIn, type SignedInUser } from "../../test/helpers/actors.js";
import {
  connectSocket,
  listen,
  refusal,
  request,
  type ClientSocket,
  type Connected,
} from "../../test/helpers/sockets.js";

/** Flood control and metrics, with small limits so a test can reach them. */
describe("real-time flood control", () => {
  let t: TestApp;
  let url: string;
  let host: SignedInUser;
  let sessionId: string;
  const open: ClientSocket[] = [];
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        RATE_LIMIT_IP_MAX: "100000",
        RATE_LIMIT_ACTOR_MAX: "100000",
        REALTIME_EVENTS_PER_SECOND: "5",
        REALTIME_EVENT_BURST: "20",
        REALTIME_FLOOD_DISCONNECT_AFTER: "30",
        REALTIME_CONNECTIONS_PER_MINUTE: "12",
        METRICS_TOKEN: "metrics-token-for-tests",
      },
    });
    url = await listen(t.app);
    host = await signIn(t.app, t.db.db, "Flood Host");
    sessionId = await createSession(t.db.db, { userId: host.userId, workspaceId: host.personalWorkspaceId });
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  afterAll(async () => t?.close());

  const attendee = async (name: string): Promise<Connected> => {
    const res = await t.app.inject({
      method: "POST",
      url: `/api/attendee/join/${sessionId}`,
      payload: { name },
    });
    const connected = await connectSocket(url, { sessionId, token: (res.json() as { token: string }).token });
    open.push(connected.socket);
    return connected;
  };

  it("allows a burst, then refuses, then disconnects a flooding socket while a calm one is served", async () => {
    const flooder = await attendee("Flooder");
    const calm = await attendee("Calm");
    const disconnected = new Promise<string>((resolve) => flooder.socket.once("disconnect", resolve));
    const answer = (a: { ok: boolean; error?: { code: string } }) => (a.ok ? "ok" : a.error!.code);
    // The burst allowance: 5 in this second's window plus up to 20 borrowed from the burst, then refusals
    // (a slow machine may cross into the next second's window: 5 more).
    const burst = await Promise.all(
      Array.from({ length: 40 }, () => request(flooder.socket, "session:snapshot", {}).then(answer)),
    );
    expect(burst.filter((c) => c === "ok").length).toBeGreaterThanOrEqual(20);
    expect(burst.filter((c) => c === "ok").length).toBeLessThanOrEqual(30);
    expect(burst).toContain("RATE_LIMITED");
    expect(burst.filter((c) => c !== "ok").every((c) => c === "RATE_LIMITED")).toBe(true);
    // Going on regardless: the 30th refusal within ten seconds disconnects.
    const codes: string[] = [];
    for (let i = 0; i < 60; i += 1) {
      flooder.socket.emit("session:snapshot", {}, (a) => codes.push(answer(a)));
    }
    expect(await disconnected).toBe("io server disconnect");
    const refused =
      burst.filter((c) => c === "RATE_LIMITED").length + codes.filter((c) => c === "RATE_LIMITED").length;
    expect(refused).toBe(29);
    // The calm socket, meanwhile, is answered as usual.
    const calmAnswer = await request(calm.socket, "session:snapshot", {});
    expect(calmAnswer).toMatchObject({ ok: true, data: { session: { id: sessionId } } });
  });

  it("limits new connections per address, and counts what it does in /api/metrics", async () => {
    // Earlier connections of this file count too; keep connecting until the limit answers.
    const refusals: string[] = [];
    for (let i = 0; i < 14 && refusals.length === 0; i += 1) {
      try {
        await attendee(`Visitor ${i}`);
      } catch (error) {
        refusals.push((error as { data: { code: string } }).data.code);
      }
    }
    expect(refusals).toEqual(["RATE_LIMITED"]);
    expect(await refusal(url, { sessionId, token: host.token })).toMatchObject({ code: "RATE_LIMITED" });

    const unauthorized = await t.app.inject({ method: "GET", url: "/api/metrics" });
    expect(unauthorized.statusCode).toBe(401);
    const res = await t.app.inject({
      method: "GET",
      url: "/api/metrics",
      headers: { authorization: "Bearer metrics-token-for-tests" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/podium_realtime_sockets\{role="attendee"\} [1-9]/);
    expect(res.body).toMatch(
      /podium_realtime_events_in_total\{event="session:snapshot",outcome="RATE_LIMITED"\} [1-9]/,
    );
    expect(res.body).toMatch(/podium_realtime_connections_refused_total\{code="RATE_LIMITED"\} [1-9]/);
    expect(res.body).toMatch(
      /podium_realtime_publish_to_delivery_seconds_count\{event="attendee:joined"\} [1-9]/,
    );
    expect(res.body).toMatch(/podium_process_resident_memory_bytes/);
  });
});
