import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createAttendee, createSession, signIn } from "../../../test/helpers/actors.js";
import { randomUUID } from "node:crypto";
import { touchAttendees } from "./attendees.repository.js";
import { sweepPresence } from "./presence-sweeper.js";

describe("presence sweep", () => {
  let t: TestApp;
  let sessionId: string;
  beforeAll(async () => {
    // The app's own sweeper ticks fast here: the last test checks it is wired.
    t = await createTestApp({ env: { PRESENCE_SWEEP_INTERVAL_MS: "100", PRESENCE_GRACE_MS: "600000" } });
    const host = await signIn(t.app, t.db.db, "Sweep Host");
    sessionId = await createSession(t.db.db, { userId: host.userId, workspaceId: host.personalWorkspaceId });
  });
  afterAll(async () => t?.close());

  const silentFor = async (minutes: number, status = "connected") => {
    const { attendeeId } = await createAttendee(t.app, t.db.db, sessionId);
    await t.db.pool.query(
      `update attendees set status = $2, last_seen_at = now() - ($3 * interval '1 minute') where id = $1`,
      [attendeeId, status, minutes],
    );
    return attendeeId;
  };
  // The app's own sweeper may hold the lock at this very moment: then this round is its, try the next.
  const sweepOnce = async (graceMs: number) => {
    for (;;) {
      const marked = await sweepPresence(t.db.db, graceMs);
      if (marked !== null) return marked;
      await sleep(10);
    }
  };
  const statusOf = async (id: string) =>
    (await t.db.pool.query("select status from attendees where id = $1", [id])).rows[0].status as string;

  it("marks attendees silent past the grace period disconnected, logs it, and leaves the others", async () => {
    const silent = await silentFor(5);
    const reconnecting = await silentFor(5, "reconnecting");
    const recent = await silentFor(0);
    const left = await silentFor(5, "left");
    expect(await sweepOnce(60_000)).toBeGreaterThanOrEqual(2);
    expect(await statusOf(silent)).toBe("disconnected");
    expect(await statusOf(reconnecting)).toBe("disconnected");
    expect(await statusOf(recent)).toBe("connected");
    expect(await statusOf(left)).toBe("left");
    const { rows } = await t.db.pool.query(
      "select actor_type, payload->>'to' as to from session_events where payload->>'attendeeId' = $1",
      [silent],
    );
    expect(rows).toEqual([{ actor_type: "system", to: "disconnected" }]);
  });

  it("keep-alive refreshes the present attendees it names, past the protocol's 65,535 parameters", async () => {
    const connected = await silentFor(5);
    const reconnecting = await silentFor(5, "reconnecting");
    const left = await silentFor(5, "left");
    const unnamed = await silentFor(5);
    // One instance's sockets: far more ids than one statement could carry as separate parameters.
    const strangers = Array.from({ length: 70_000 }, () => randomUUID());
    await touchAttendees(t.db.db, [...strangers, connected, reconnecting, left]);
    const { rows } = await t.db.pool.query<{ id: string; fresh: boolean }>(
      "select id, last_seen_at > now() - interval '1 minute' as fresh from attendees where id = any($1::uuid[])",
      [[connected, reconnecting, left, unnamed]],
    );
    const fresh = Object.fromEntries(rows.map((row) => [row.id, row.fresh]));
    expect(fresh).toEqual({ [connected]: true, [reconnecting]: true, [left]: false, [unnamed]: false });
    expect(await sweepOnce(60_000)).toBeGreaterThanOrEqual(0);
    expect(await statusOf(connected)).toBe("connected");
    expect(await statusOf(unnamed)).toBe("disconnected");
  });

  it("runs on one instance at a time: a sweep finding the lock taken skips its round", async () => {
    const silent = await silentFor(5);
    const client = await t.db.pool.connect();
    try {
      await client.query("begin");
      await client.query("select pg_advisory_xact_lock($1)", [0x706f6469756d70]);
      expect(await sweepPresence(t.db.db, 60_000)).toBeNull();
      expect(await statusOf(silent)).toBe("connected");
    } finally {
      await client.query("rollback");
      client.release();
    }
    expect(await sweepOnce(60_000)).toBeGreaterThanOrEqual(1);
  });

  it("is started with the app", async () => {
    const silent = await silentFor(60);
    const deadline = Date.now() + 10_000;
    while ((await statusOf(silent)) !== "disconnected" && Date.now() < deadline) await sleep(50);
    expect(await statusOf(silent)).toBe("disconnected");
  });
});
