import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { until } from "../helpers/sockets.js";
import { browserStage, decoded, type People, SCREENSHOTS, tallyShows } from "./people.js";

/**
 * Issue 8, point 5: the whole story in Debian's Chromium, through the pages the server itself serves (the
 * client built from web/ for this run), with nothing but the server running. A presenter signs in (development
 * sign-in), creates a session and goes live with a fake camera; two attendees join by code (one types it, one
 * follows the link); both decode the presenter's video; A asks, B upvotes, and all three screens show the tally;
 * the presenter marks it answered, shares the screen (both attendees decode it), and ends the session, which
 * both attendees see. Each page is photographed along the way into test-results/e2e/.
 */
describe("the whole story in Chromium", { timeout: 60_000 }, () => {
  let t: TestApp;
  let origin: string;
  let presenter: Page;
  let ada: Page;
  let bob: Page;
  let joinCode: string;
  let people: People;
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  const stage = browserStage();
  beforeAll(async () => {
    ({ t, origin, people } = stage);
    await mkdir(SCREENSHOTS, { recursive: true });
    presenter = await people.person("presenter");
    // Attendees on phone-width screens: the page must work there.
    ada = await people.person("ada", { width: 390, height: 844 });
    bob = await people.person("bob", { width: 390, height: 844 });
  });

  it("the presenter signs in, creates a session and goes live", async () => {
    await presenter.goto(`${origin}/`);
    await presenter.getByLabel("Name").fill("Grace Hopper");
    await presenter.getByLabel("Email").fill("grace@example.com");
    await shot(presenter, "01-presenter-sign-in");
    await presenter.getByRole("button", { name: "Sign in" }).click();
    await presenter.getByRole("heading", { name: "Your sessions" }).waitFor();
    await presenter.getByRole("button", { name: "New session" }).click();
    await presenter.getByLabel("Title").fill("Compilers for everyone");
    await presenter.getByLabel("Description").fill("A live tour, with your questions.");
    await shot(presenter, "02-presenter-new-session");
    await presenter.getByRole("button", { name: "Create session" }).click();
    await presenter.getByRole("heading", { name: /Compilers for everyone/ }).waitFor();
    joinCode = (await presenter.getByTestId("join-code").textContent())!.trim();
    expect(joinCode).toMatch(/^[A-Z0-9]{6}$/);
    expect(await presenter.getByTestId("join-link").textContent()).toBe(`${origin}/join/${joinCode}`);

    await presenter.getByRole("button", { name: "Go live" }).click();
    await presenter.locator(".badge.live").waitFor();
    await presenter.getByTestId("local-camera").waitFor();
    await presenter.getByRole("button", { name: "Copy code" }).click();
    await presenter.getByText("Code copied").waitFor();
    expect(
      await presenter.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      ),
    ).toBe(joinCode);
  });

  it("two attendees join by code, and both decode the presenter's video", async () => {
    await ada.goto(`${origin}/join`);
    await ada.getByLabel("Session code").fill(joinCode.toLowerCase());
    await ada.getByLabel("Your name").fill("Ada");
    await shot(ada, "03-attendee-join");
    await ada.getByRole("button", { name: "Join" }).click();
    await bob.goto(`${origin}/join/${joinCode}`);
    expect(await bob.getByLabel("Session code").inputValue()).toBe(joinCode);
    await bob.getByLabel("Your name").fill("Bob");
    await bob.getByRole("button", { name: "Join" }).click();

    for (const page of [ada, bob]) {
      await page.getByTestId("camera-video").waitFor({ timeout: 20_000 });
      await until("video decodes", async () => ((await decoded(page)).camera ?? 0) > 5, 20_000);
    }
    await until(
      "the presenter counts two attendees",
      async () => (await presenter.getByTestId("attendee-count").textContent()) === "2",
      10_000,
    );
    await until(
      "both video links connected",
      async () => (await presenter.getByTestId("links-connected").textContent()) === "2/2",
      20_000,
    );
  });

  it("A asks, B upvotes, and all three screens show the tally", async () => {
    const text = "Will the slides be shared afterwards?";
    await ada.getByLabel("Ask a question").fill(text);
    await ada.getByRole("button", { name: "Send question" }).click();
    await ada.getByText("Your question is on the board.").waitFor();
    const upvote = bob.getByRole("button", { name: `Upvote: ${text}` });
    await upvote.click();
    await until("B's vote is pressed", async () => (await upvote.getAttribute("aria-pressed")) === "true");
    // A cannot vote for its own question.
    expect(await ada.getByRole("button", { name: `Upvote: ${text}` }).isDisabled()).toBe(true);
    for (const page of [presenter, ada, bob]) await tallyShows(page, text, "1");
    await shot(bob, "04-attendee-question-voted");
    await shot(presenter, "05-presenter-live-board");
  });

  it("the presenter marks it answered, and the attendees see it answered", async () => {
    await presenter.getByRole("button", { name: "Mark answered" }).click();
    for (const page of [ada, bob]) {
      await page.getByText("Answered (1)").waitFor();
      expect(await page.getByRole("list", { name: "Open questions" }).getByTestId("question").count()).toBe(
        0,
      );
    }
  });

  it("the presenter shares the screen and both attendees see it", async () => {
    await presenter.getByRole("button", { name: "Share screen" }).click();
    await presenter.getByTestId("local-screen").waitFor();
    for (const page of [ada, bob]) {
      await page.getByTestId("screen-video").waitFor({ timeout: 20_000 });
      await until("the screen decodes", async () => ((await decoded(page)).screen ?? 0) > 3, 20_000);
    }
    await shot(ada, "06-attendee-screen-share");
    await shot(presenter, "07-presenter-sharing");
  });

  it("the presenter ends the session and the attendees see that it ended", async () => {
    await presenter.getByRole("button", { name: "End session" }).click();
    await presenter.getByRole("button", { name: "Yes, end session" }).click();
    await presenter.locator(".badge.ended").waitFor();
    for (const page of [ada, bob]) await page.getByTestId("session-ended").waitFor({ timeout: 10_000 });
    await shot(bob, "08-attendee-ended");
    const { rows } = await t.db.pool.query<{ status: string }>(
      "select status from sessions where join_code = $1",
      [joinCode],
    );
    expect(rows).toEqual([{ status: "ended" }]);
  });
});
