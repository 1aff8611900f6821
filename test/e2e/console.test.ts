import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { person } from "../helpers/oauth-flow.js";
import { createFakeProviders, type FakeProviders } from "../helpers/oauth-providers.js";
import { until } from "../helpers/sockets.js";
import { browserStage, decoded, joinByLink } from "./people.js";

/**
 * The presenter console beyond the main story (story.test.ts): signing in with Google and GitHub from its
 * buttons (the providers are fakes answering their real URLs: the browser's visits to them are routed to the
 * fake, the server's token and profile calls are answered by msw), a pre-moderated session run from the board
 * (approve, pin, dismiss, ban), editing a live session, and a broadcast of the screen alone, without a camera.
 */
describe("the presenter console in Chromium", { timeout: 60_000 }, () => {
  let origin: string;
  let fake: FakeProviders;
  let browser: Browser;
  let presenter: Page;
  let ada: Page;
  let bob: Page;

  const stage = browserStage(async (origin) => {
    const client = (provider: string, clientId: string) => ({
      clientId,
      clientSecret: `${provider}-secret`,
      redirectUri: `${origin}/api/auth/callback/${provider}`,
    });
    fake = await createFakeProviders({
      google: client("google", "podium-e2e.apps.googleusercontent.com"),
      github: client("github", "Iv1.podiume2e"),
    });
    fake.server.listen({ onUnhandledRequest: "bypass" });
    return {
      GOOGLE_CLIENT_ID: fake.google.client.clientId,
      GOOGLE_CLIENT_SECRET: fake.google.client.clientSecret,
      GITHUB_CLIENT_ID: fake.github.client.clientId,
      GITHUB_CLIENT_SECRET: fake.github.client.clientSecret,
    };
  });
  beforeAll(async () => {
    ({ origin, browser } = stage);
    presenter = await stage.people.person("presenter");
    ada = await stage.people.person("ada", { width: 390, height: 844 });
    bob = await stage.people.person("bob", { width: 390, height: 844 });
  });
  afterAll(() => fake?.server.close());

  /** The provider's consent page, as the fake provider: approves the request and redirects to the callback. */
  const consentAs = async (page: Page, provider: "google" | "github", name: string) => {
    const profile = person({ name });
    const pattern = provider === "google" ? "https://accounts.google.com/**" : "https://github.com/login/**";
    await page.route(pattern, (route) => {
      const { callbackPath } = fake[provider].authorize(route.request().url(), profile);
      return route.fulfill({ status: 302, headers: { location: `${origin}${callbackPath}` } });
    });
    return profile;
  };

  it("signs in with GitHub and with Google from the console's buttons", async () => {
    const github = await browser.newPage();
    await consentAs(github, "github", "Linus GitHub");
    await github.goto(`${origin}/`);
    expect(await github.getByRole("heading", { name: "Development sign-in" }).count()).toBe(0);
    await github.getByRole("button", { name: "Sign in with GitHub" }).click();
    await github.getByRole("heading", { name: "Your sessions" }).waitFor();
    expect(await github.getByTestId("signed-in-as").textContent()).toBe("Linus GitHub");
    await github.close();

    await consentAs(presenter, "google", "Grace Google");
    await presenter.goto(`${origin}/`);
    await presenter.getByRole("button", { name: "Sign in with Google" }).click();
    await presenter.getByRole("heading", { name: "Your sessions" }).waitFor();
    expect(await presenter.getByTestId("signed-in-as").textContent()).toBe("Grace Google");
    expect(fake.google.tokenRequests).toHaveLength(1);
  });

  let joinCode: string;
  it("creates a pre-moderated session and broadcasts the screen alone", async () => {
    await presenter.getByRole("button", { name: "New session" }).click();
    await presenter.getByLabel("Title").fill("Moderated town hall");
    await presenter.getByLabel("Hold questions for a moderator before they appear").check();
    await presenter.getByRole("button", { name: "Create session" }).click();
    joinCode = (await presenter.getByTestId("join-code").textContent())!.trim();
    await presenter.getByLabel("Use my camera").uncheck();
    await presenter.getByRole("button", { name: "Go live" }).click();
    await presenter.locator(".badge.live").waitFor();
    expect(await presenter.getByTestId("local-camera").count()).toBe(0);
    await presenter.getByRole("button", { name: "Share screen" }).click();
    await presenter.getByTestId("local-screen").waitFor();

    for (const [page, name] of [
      [ada, "Ada"],
      [bob, "Bob"],
    ] as const) {
      await joinByLink(page, origin, joinCode, name);
      await page.getByTestId("screen-video").waitFor({ timeout: 20_000 });
      await until(
        "the screen decodes, and no camera was ever sent",
        async () => {
          const frames = await decoded(page);
          return (frames.screen ?? 0) > 3 && frames.camera === undefined;
        },
        20_000,
      );
    }
  });

  const board = (page: Page, list: string) => page.getByRole("list", { name: list }).getByTestId("question");

  it("holds a question for review, then approves, pins and dismisses it from the board", async () => {
    const text = "Can we get the budget numbers?";
    await ada.getByLabel("Ask a question").fill(text);
    await ada.getByRole("button", { name: "Send question" }).click();
    await ada.getByText("Sent. A moderator will review it before it appears.").waitFor();
    await ada.getByRole("heading", { name: "Your questions awaiting moderation" }).waitFor();
    await until(
      "the presenter's pending queue has it",
      async () => (await board(presenter, "Pending questions").count()) === 1,
    );
    expect(await bob.getByText(text).count()).toBe(0);

    await presenter
      .getByRole("group", { name: `Actions for: ${text}` })
      .getByRole("button", { name: "Approve" })
      .click();
    for (const page of [ada, bob]) await board(page, "Open questions").filter({ hasText: text }).waitFor();
    expect(await ada.getByRole("heading", { name: "Your questions awaiting moderation" }).count()).toBe(0);

    await presenter
      .getByRole("group", { name: `Actions for: ${text}` })
      .getByRole("button", { name: "Pin" })
      .click();
    await board(bob, "Open questions").filter({ hasText: text }).getByText("Pinned").waitFor();

    await presenter
      .getByRole("group", { name: `Actions for: ${text}` })
      .getByRole("button", { name: "Dismiss" })
      .click();
    for (const page of [ada, bob]) {
      await until("the dismissed question is gone", async () => (await page.getByText(text).count()) === 0);
    }
  });

  it("edits the live session: attendees see the new title", async () => {
    await presenter.getByRole("button", { name: "Edit" }).click();
    await presenter.getByLabel("Title").fill("Town hall, renamed");
    await presenter.getByRole("button", { name: "Save changes" }).click();
    await presenter.getByRole("heading", { name: /Town hall, renamed/ }).waitFor();
    for (const page of [ada, bob]) await page.getByText("Town hall, renamed").waitFor();
  });

  it("bans the author of a question from the board: the attendee is told and cut off", async () => {
    const text = "Spam spam spam, visit my site";
    await bob.getByLabel("Ask a question").fill(text);
    await bob.getByRole("button", { name: "Send question" }).click();
    await board(presenter, "Pending questions").filter({ hasText: text }).waitFor();
    presenter.once("dialog", (dialog) => void dialog.accept());
    await presenter
      .getByRole("group", { name: `Actions for: ${text}` })
      .getByRole("button", { name: "Ban author" })
      .click();
    await bob.getByText("A moderator removed you from this session.").waitFor();
    await until(
      "the presenter counts one attendee",
      async () => (await presenter.getByTestId("attendee-count").textContent()) === "1",
      10_000,
    );
    // Ada, who was not banned, still follows the session.
    expect(await ada.getByTestId("connection").getAttribute("data-state")).toBe("connected");
  });
});
