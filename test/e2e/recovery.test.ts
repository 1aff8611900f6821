import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAttendee } from "../helpers/actors.js";
import type { TestApp } from "../helpers/app.js";
import { freePort } from "../helpers/ports.js";
import { until } from "../helpers/sockets.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { launchChromiumBrowser } from "./browser.js";
import {
  createBrowserApp,
  createSessionInConsole,
  decoded,
  goLive,
  joinByLink,
  People,
  signInPresenter,
  tallyShows,
} from "./people.js";

interface StoredCredentials {
  sessionId: string;
  attendeeId: string;
  token: string;
}

/** What this browser keeps of its place in the session (web/src/attendee/credentials.ts). */
const storedCredentials = (page: Page, sessionId: string): Promise<StoredCredentials | null> =>
  page.evaluate(
    (key) =>
      JSON.parse(
        (
          globalThis as unknown as { localStorage: { getItem(k: string): string | null } }
        ).localStorage.getItem(key) ?? "null",
      ) as StoredCredentials | null,
    `podium.attendee.${sessionId}`,
  );

/** A mark on the page's window: still there later means the page was never reloaded. */
const marked = (page: Page, set = false): Promise<boolean> =>
  page.evaluate((set) => {
    const window = globalThis as unknown as { recoveryMark?: boolean };
    if (set) window.recoveryMark = true;
    return window.recoveryMark === true;
  }, set);

const cameraFrames = async (page: Page) => (await decoded(page)).camera ?? 0;

/** The app behind a TCP proxy (PUBLIC_URL is the proxy's origin), a presenter and an attendee at phone width. */
interface Stage {
  t: TestApp;
  proxy: TcpProxy;
  origin: string;
  people: People;
  presenter: Page;
  ada: Page;
}

/** Sets the stage up for the enclosing describe (and takes it down after); `env` adds to the app's. */
function behindProxy(env: Record<string, string> = {}): Stage {
  const stage = {} as Stage;
  let browser: Browser | undefined;
  beforeAll(async () => {
    const appPort = await freePort();
    stage.proxy = new TcpProxy("127.0.0.1", appPort);
    stage.origin = `http://127.0.0.1:${await stage.proxy.start(0)}`;
    stage.t = await createBrowserApp(stage.origin, env);
    await stage.t.app.listen({ port: appPort, host: "127.0.0.1" });
    browser = await launchChromiumBrowser();
    stage.people = new People(browser, stage.origin);
    stage.presenter = await stage.people.person("presenter");
    stage.ada = await stage.people.person("ada", { width: 390, height: 844 });
  });
  afterEach(async ({ task }) => {
    if (task.result?.state !== "fail") return;
    await stage.people.report();
    console.error(stage.t.logs.raw.filter((line) => /"level":(40|50|60)/.test(line)).join("\n"));
  });
  afterAll(async () => {
    await browser?.close();
    await stage.proxy?.stop();
    await stage.t?.close();
  });
  return stage;
}

/**
 * The presenter goes live with the camera and the attendee joins by link, until the attendee decodes video, the
 * presenter's link is connected and the attendee page counts one attendee. Resolves to the session id and what
 * the attendee's browser keeps of its place, and marks the page (see `marked`).
 */
async function liveWithAttendee(
  { origin, presenter, ada }: Stage,
  title: string,
): Promise<{ sessionId: string; before: StoredCredentials }> {
  await signInPresenter(presenter, origin, "Radia Perlman", "radia@example.com");
  const joinCode = await createSessionInConsole(presenter, title);
  const sessionId = /#\/sessions\/([0-9a-f-]{36})$/.exec(presenter.url())![1]!;
  await goLive(presenter);
  await joinByLink(ada, origin, joinCode, "Ada");
  await ada.getByTestId("camera-video").waitFor({ timeout: 20_000 });
  await until("video decodes", async () => (await cameraFrames(ada)) > 5, 20_000);
  await until(
    "the attendee page counts one attendee",
    async () => (await ada.getByTestId("attendee-count").textContent())!.startsWith("1 here"),
    10_000,
  );
  await until(
    "the presenter's video link is connected",
    async () => (await presenter.getByTestId("links-connected").textContent()) === "1/1",
    20_000,
  );
  const before = (await storedCredentials(ada, sessionId))!;
  expect(before).toMatchObject({ sessionId, attendeeId: expect.any(String), token: expect.any(String) });
  expect(await marked(ada, true)).toBe(true);
  return { sessionId, before };
}

/** Until the attendee page says it is connected again, with the banner gone, on the same (unreloaded) page. */
async function reconnected(ada: Page): Promise<void> {
  const banner = ada.getByTestId("connection");
  await until(
    "the attendee page is connected again",
    async () => (await banner.getAttribute("data-state")) === "connected",
    30_000,
  );
  expect(await banner.textContent()).toBe("");
  // Socket.io came back by itself: the same page, never reloaded.
  expect(await marked(ada)).toBe(true);
}

/** Video decodes after the reconnect: frames are counted and keep increasing. */
async function decodingAgain(ada: Page): Promise<void> {
  await ada.getByTestId("camera-video").waitFor({ timeout: 20_000 });
  await until("video decodes on the new link", async () => (await cameraFrames(ada)) > 0, 20_000);
  const now = await cameraFrames(ada);
  await until("frames keep increasing", async () => (await cameraFrames(ada)) > now + 5, 20_000);
}

/**
 * Issue 8, point 3: an attendee recovers by itself from a dropped connection. Every browser reaches the server
 * through a TCP proxy (PUBLIC_URL is the proxy's origin); cutting the proxy drops every connection, the Socket.io
 * websockets included, while the WebRTC media keeps flowing peer to peer over loopback. While it is down the
 * session changes through the server directly (a new title, another attendee's question); when the proxy is back
 * on the same port the attendee page converges without anyone touching it: the title, the question, the count,
 * video decoding on a new link, and the same attendee as before, not a new join.
 */
describe("an attendee recovers by itself from a dropped connection", { timeout: 90_000 }, () => {
  const stage = behindProxy();
  let sessionId: string;
  let before: StoredCredentials;
  const newTitle = "Networks that heal, and how";
  const question = "Does it survive a dropped connection?";

  it("the presenter is live with a camera, and the attendee decodes the video through the proxy", async () => {
    ({ sessionId, before } = await liveWithAttendee(stage, "Networks that heal"));
  });

  it("the connection drops, the page says so, and the session changes meanwhile", async () => {
    const { t, proxy, origin, presenter, ada } = stage;
    await proxy.stop();
    const banner = ada.getByTestId("connection");
    await until(
      "the attendee page shows it lost the connection",
      async () => (await banner.getAttribute("data-state")) === "reconnecting",
      15_000,
    );
    await banner.getByText("Connection lost. Reconnecting…").waitFor();
    await presenter.getByTestId("connection").getByText("Connection lost. Reconnecting…").waitFor();

    // The presenter renames the session (straight to the server, as from another network).
    const cookie = (await presenter.context().cookies(origin)).map((c) => `${c.name}=${c.value}`).join("; ");
    const renamed = await t.app.inject({
      method: "PATCH",
      url: `/api/sessions/${sessionId}`,
      headers: { cookie, origin },
      payload: { title: newTitle },
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    // Another attendee, already in the room, asks a question over HTTP.
    const bob = await createAttendee(t.app, t.db.db, sessionId, "Bob");
    const asked = await t.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/questions`,
      headers: { authorization: `Bearer ${bob.token}` },
      payload: { text: question },
    });
    expect(asked.statusCode, asked.body).toBe(201);

    // Nothing of it reached the page yet: it is cut off.
    expect(await banner.getAttribute("data-state")).toBe("reconnecting");
    expect(await ada.getByText(question).count()).toBe(0);
    expect(await ada.getByText(newTitle).count()).toBe(0);
  });

  it("back on the same port, the page converges without any user action", async () => {
    const { proxy, presenter, ada } = stage;
    await proxy.start();
    await reconnected(ada);
    await ada.getByText(newTitle).waitFor({ timeout: 10_000 });
    await ada.getByTestId("question").filter({ hasText: question }).waitFor({ timeout: 10_000 });
    await until(
      "the attendee page counts both attendees",
      async () => (await ada.getByTestId("attendee-count").textContent())!.startsWith("2 here"),
      10_000,
    );
    // The presenter's console came back too, with a new video link to the attendee.
    await presenter.getByText(newTitle).waitFor({ timeout: 10_000 });
    await until(
      "the presenter's video link is connected again",
      async () => (await presenter.getByTestId("links-connected").textContent()) === "1/1",
      30_000,
    );
  });

  it("video decodes again after the reconnect", async () => {
    await decodingAgain(stage.ada);
  });

  it("it is the same attendee as before, not a new join", async () => {
    const { t, ada } = stage;
    const after = await storedCredentials(ada, sessionId);
    expect(after?.attendeeId).toBe(before.attendeeId);
    expect(await ada.getByText("you are Ada").count()).toBe(1);
    const { rows } = await t.db.pool.query<{ id: string; display_name: string; status: string }>(
      "select id, display_name, status from attendees where session_id = $1 order by display_name",
      [sessionId],
    );
    expect(rows.map((r) => r.display_name)).toEqual(["Ada", "Bob"]);
    expect(rows[0]).toMatchObject({ id: before.attendeeId, status: "connected" });
  });

  it("and it acts as itself again: its vote for the question asked meanwhile counts, as its own", async () => {
    const { t, ada } = stage;
    const upvote = ada.getByRole("button", { name: `Upvote: ${question}` });
    await upvote.click();
    await until("the vote is pressed", async () => (await upvote.getAttribute("aria-pressed")) === "true");
    await tallyShows(ada, question, "1");
    const { rows } = await t.db.pool.query<{ attendee_id: string; value: number }>(
      "select v.attendee_id, v.value from question_votes v join questions q on q.id = v.question_id where q.session_id = $1",
      [sessionId],
    );
    expect(rows).toEqual([{ attendee_id: before.attendeeId, value: 1 }]);
  });
});

/**
 * Away for longer than the presence grace: the sweeper marks the attendee disconnected and its seat is free. Back
 * through the same proxy, the page takes its seat back by itself, as the same attendee, with video.
 */
describe(
  "an attendee away past the presence grace takes its seat back by itself",
  { timeout: 90_000 },
  () => {
    const stage = behindProxy({ PRESENCE_GRACE_MS: "4000", PRESENCE_SWEEP_INTERVAL_MS: "500" });
    let sessionId: string;
    let before: StoredCredentials;
    const status = async () =>
      (
        await stage.t.db.pool.query<{ id: string; status: string }>(
          "select id, status from attendees where session_id = $1",
          [sessionId],
        )
      ).rows;

    it("the attendee is in, with video", async () => {
      ({ sessionId, before } = await liveWithAttendee(stage, "Long outages"));
      expect(await status()).toEqual([{ id: before.attendeeId, status: "connected" }]);
    });

    it("cut off past the grace, the server counts it gone", async () => {
      await stage.proxy.stop();
      await until(
        "the presence sweeper marks the attendee disconnected",
        async () => (await status())[0]?.status === "disconnected",
        20_000,
      );
      expect(await stage.ada.getByTestId("connection").getAttribute("data-state")).toBe("reconnecting");
    });

    it("back, the page reconnects as the same attendee, counted and decoding video", async () => {
      const { proxy, presenter, ada } = stage;
      await proxy.start();
      await reconnected(ada);
      await until(
        "the attendee is connected again",
        async () => (await status())[0]?.status === "connected",
        10_000,
      );
      expect(await status()).toEqual([{ id: before.attendeeId, status: "connected" }]);
      expect((await storedCredentials(ada, sessionId))?.attendeeId).toBe(before.attendeeId);
      await until(
        "the attendee page counts one attendee",
        async () => (await ada.getByTestId("attendee-count").textContent())!.startsWith("1 here"),
        10_000,
      );
      await until(
        "the presenter counts one attendee",
        async () => (await presenter.getByTestId("attendee-count").textContent()) === "1",
        10_000,
      );
      await decodingAgain(ada);
    });
  },
);
