import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, inject } from "vitest";
import { projectRoot } from "../../src/lib/paths.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { freePort } from "../helpers/ports.js";
import { until } from "../helpers/sockets.js";
import { launchChromiumBrowser } from "./browser.js";

/** Where the pages' screenshots are kept (CI artifacts; test-results/ is not committed). */
export const SCREENSHOTS = join(projectRoot(), "test-results", "e2e");

/**
 * The app as the browser tests run it: the client built for this run, limits out of the way (one machine plays
 * every person), real-time and media reports quick. `publicUrl` is the origin the browsers use: the app's own
 * port, or a proxy in front of it. The caller listens.
 */
export function createBrowserApp(publicUrl: string, env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp({
    env: {
      PUBLIC_URL: publicUrl,
      WEB_CLIENT_DIR: inject("webClientDir"),
      RATE_LIMIT_IP_MAX: "100000",
      RATE_LIMIT_SIGN_IN_MAX: "1000",
      RATE_LIMIT_ACTOR_MAX: "100000",
      REALTIME_COALESCE_MS: "100",
      MEDIA_STATS_INTERVAL_MS: "1000",
      MEDIA_QUALITY_SUMMARY_MS: "500",
      ...env,
    },
  });
}

/** What the attendee page exposes for tests: frames its video receivers really decoded, per role. */
export type Decoded = Partial<Record<"camera" | "screen", number>>;
export const decoded = (page: Page): Promise<Decoded> =>
  page.evaluate(
    () =>
      (globalThis as unknown as { podiumViewer?: { decoded(): Promise<Decoded> } }).podiumViewer?.decoded() ??
      {},
  );

/**
 * The people of a test, each a browser context of their own (own cookies and storage) in one Chromium, with
 * camera and clipboard granted on `origin`. What their pages log is kept, to print when a step fails.
 */
export class People {
  readonly lines: string[] = [];
  private readonly pages = new Map<string, Page>();

  constructor(
    private readonly browser: Browser,
    private readonly origin: string,
  ) {}

  async person(name: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await this.browser.newContext({ viewport });
    await context.grantPermissions(["camera", "microphone", "clipboard-read", "clipboard-write"], {
      origin: this.origin,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("console", (message) => this.lines.push(`${name} ${message.type()}: ${message.text()}`));
    page.on("pageerror", (error) => this.lines.push(`${name} pageerror: ${error.message}`));
    this.pages.set(name, page);
    return page;
  }

  /** After a failed step: what the pages said, and what they looked like (failed-<name>.png). */
  async report(): Promise<void> {
    console.error(this.lines.join("\n"));
    for (const [name, page] of this.pages)
      await page
        .screenshot({ path: join(SCREENSHOTS, `failed-${name}.png`), fullPage: true })
        .catch(() => undefined);
  }
}

/** Development sign-in on the console, until the sessions list shows. */
export async function signInPresenter(page: Page, origin: string, name: string, email: string) {
  await page.goto(`${origin}/`);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Your sessions" }).waitFor();
}

/** A new session from the sessions list; resolves with its join code once its console shows. */
export async function createSessionInConsole(page: Page, title: string): Promise<string> {
  await page.getByRole("button", { name: "New session" }).click();
  await page.getByLabel("Title").fill(title);
  await page.getByRole("button", { name: "Create session" }).click();
  await page.getByRole("heading", { name: title }).waitFor();
  const joinCode = (await page.getByTestId("join-code").textContent())!.trim();
  expect(joinCode).toMatch(/^[A-Z0-9]{6}$/);
  return joinCode;
}

/** Go live with the (fake) camera, until the console shows the session live and the local camera. */
export async function goLive(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Go live" }).click();
  await page.locator(".badge.live").waitFor();
  await page.getByTestId("local-camera").waitFor();
}

/** Joins by the shared link with a name, until the room shows. */
export async function joinByLink(page: Page, origin: string, joinCode: string, name: string): Promise<void> {
  await page.goto(`${origin}/join/${joinCode}`);
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Join" }).click();
  await page.getByRole("heading", { name: "Questions", exact: true }).waitFor();
}

/**
 * The stage most browser tests share, set up inside a describe: the app listening on a free port of its own
 * (`env(origin)` adds to its environment), one Chromium, and the people in it; a failed step prints what the
 * pages said and photographs them; all closed after. The fields are filled before the first test runs.
 */
export function browserStage(
  env: (origin: string) => Record<string, string> | Promise<Record<string, string>> = () => ({}),
) {
  const stage = {} as { t: TestApp; origin: string; browser: Browser; people: People };
  beforeAll(async () => {
    const port = await freePort();
    stage.origin = `http://127.0.0.1:${port}`;
    stage.t = await createBrowserApp(stage.origin, await env(stage.origin));
    await stage.t.app.listen({ port, host: "127.0.0.1" });
    stage.browser = await launchChromiumBrowser();
    stage.people = new People(stage.browser, stage.origin);
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === "fail") await stage.people?.report();
  });
  afterAll(async () => {
    await stage.browser?.close();
    await stage.t?.close();
  });
  return stage;
}

/** Waits until the question with this text shows `tally` on the page. */
export function tallyShows(page: Page, text: string, tally: string): Promise<void> {
  return until(
    `the tally of "${text}" shows ${tally}`,
    async () =>
      (await page.getByTestId("question").filter({ hasText: text }).getByTestId("tally").textContent()) ===
      tally,
    10_000,
  );
}
