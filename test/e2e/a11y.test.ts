import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createAttendee } from "../helpers/actors.js";
import type { TestApp } from "../helpers/app.js";
import { until } from "../helpers/sockets.js";
import {
  createSessionInConsole,
  decoded,
  goLive,
  joinByLink,
  browserStage,
  type People,
  signInPresenter,
  tallyShows,
} from "./people.js";

/** WCAG 2.0 and 2.1, levels A and AA, and axe's best practices (landmarks, heading order, …). */
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/**
 * What axe cannot decide and leaves for review, accepted here with the reason. Anything else it leaves for review
 * fails like a violation (an aria-label on an element without a role, say, which screen readers ignore).
 */
const REVIEWED: Record<string, (check: { data?: unknown }) => boolean> = {
  // A live video has no captions: that needs a captioning service (WCAG 1.2.4), which Podium does not have yet.
  "video-caption": () => true,
  // The ▲/▼ vote buttons hold only symbols (their names are in aria-label); their colours are the buttons'.
  "color-contrast": (check) => (check.data as { messageKey?: string } | undefined)?.messageKey === "nonBmp",
};

/** Axe's violations and unreviewed doubts, one readable entry per element: rule, impact, what to fix, where. */
async function violations(page: Page): Promise<string[]> {
  const { violations, incomplete } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const doubts = incomplete
    .map((result) => ({
      ...result,
      nodes: result.nodes.filter(
        (node) => ![...node.any, ...node.all, ...node.none].some((check) => REVIEWED[result.id]?.(check)),
      ),
    }))
    .filter((result) => result.nodes.length > 0);
  return [...violations, ...doubts.map((d) => ({ ...d, help: `needs review: ${d.help}` }))].flatMap((v) =>
    v.nodes.map(
      (node) =>
        `${v.id} (${v.impact ?? "?"}): ${v.help}\n    at ${node.target.join(" ")}\n    ${(
          node.failureSummary ??
          [...node.any, ...node.all, ...node.none].map((check) => check.message).join("; ")
        ).replace(/\n/g, "\n    ")}`,
    ),
  );
}

/**
 * Every input, textarea and select on the page with the name Chromium's accessibility tree computes for it
 * (what a screen reader announces). Resolves to the fields without one, by their HTML, and how many there are.
 */
async function unnamedFields(page: Page): Promise<{ fields: number; unnamed: string[] }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send("DOM.getDocument", { depth: -1 });
    const { nodeIds } = await cdp.send("DOM.querySelectorAll", {
      nodeId: root.nodeId,
      selector: "input, textarea, select",
    });
    const unnamed: string[] = [];
    for (const nodeId of nodeIds) {
      const { nodes } = await cdp.send("Accessibility.getPartialAXTree", { nodeId, fetchRelatives: false });
      const name = nodes[0]?.name?.value;
      if (typeof name !== "string" || name.trim() === "") {
        unnamed.push((await cdp.send("DOM.getOuterHTML", { nodeId })).outerHTML);
      }
    }
    return { fields: nodeIds.length, unnamed };
  } finally {
    await cdp.detach();
  }
}

/** Axe finds nothing, and every field has a name. */
async function expectAccessible(page: Page, fields: "some" | "none" = "some") {
  const found = await violations(page);
  expect(found, `axe found on ${page.url()}:\n${found.join("\n")}`).toEqual([]);
  const { fields: count, unnamed } = await unnamedFields(page);
  expect(unnamed, `fields without an accessible name on ${page.url()}`).toEqual([]);
  if (fields === "some") expect(count).toBeGreaterThan(0);
}

/** The focused element, as `tag "accessible name"` (what a keyboard user lands on). */
const focused = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const element = (globalThis as unknown as { document: { activeElement: HTMLElementLike | null } })
      .document.activeElement;
    if (!element) return "nothing";
    const label =
      element.labels?.[0]?.textContent ?? element.getAttribute("aria-label") ?? element.textContent;
    return `${element.tagName.toLowerCase()} "${(label ?? "").trim()}"`;
  });
interface HTMLElementLike {
  tagName: string;
  textContent: string | null;
  labels?: ArrayLike<{ textContent: string | null }>;
  getAttribute(name: string): string | null;
}

/** Presses Tab until `target` has the focus (at most `limit` times); resolves to every stop on the way. */
async function tabTo(page: Page, target: string, limit = 25): Promise<string[]> {
  const stops: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    stops.push(await focused(page));
    if (stops.at(-1) === target) return stops;
  }
  throw new Error(`${target} never took the focus; the stops were:\n${stops.join("\n")}`);
}

describe("accessibility of every page", { timeout: 120_000 }, () => {
  let t: TestApp;
  let origin: string;
  let people: People;
  let presenter: Page;
  let ada: Page;
  let sessionId: string;
  let joinCode: string;
  const title = "Inclusive design in practice";
  const adaQuestion = "How do you test with screen readers?";
  const bobQuestion = "Which contrast ratio do you aim for?";

  const stage = browserStage();
  beforeAll(async () => {
    ({ t, origin, people } = stage);
    presenter = await people.person("presenter");
    ada = await people.person("ada", { width: 390, height: 844 });
  });

  it("console: sign-in", async () => {
    await presenter.goto(`${origin}/`);
    await presenter.getByRole("button", { name: "Sign in" }).waitFor();
    await expectAccessible(presenter);
  });

  it("console: the sessions list, empty", async () => {
    await signInPresenter(presenter, origin, "Alice Inclusive", "alice@example.com");
    await expectAccessible(presenter, "none");
  });

  it("console: the new-session form", async () => {
    await presenter.getByRole("button", { name: "New session" }).click();
    await presenter.getByLabel("Title").waitFor();
    await expectAccessible(presenter);
    await presenter.getByRole("button", { name: "Cancel" }).click();
  });

  it("console: live, with questions on the board", async () => {
    joinCode = await createSessionInConsole(presenter, title);
    sessionId = /#\/sessions\/([0-9a-f-]{36})$/.exec(presenter.url())![1]!;
    await goLive(presenter);
    await joinByLink(ada, origin, joinCode, "Ada");
    await ada.getByLabel("Ask a question").fill(adaQuestion);
    await ada.getByRole("button", { name: "Send question" }).click();
    await ada.getByText("Your question is on the board.").waitFor();
    const bob = await createAttendee(t.app, t.db.db, sessionId, "Bob");
    const asked = await t.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/questions`,
      headers: { authorization: `Bearer ${bob.token}` },
      payload: { text: bobQuestion },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    for (const text of [adaQuestion, bobQuestion])
      await presenter.getByTestId("question").filter({ hasText: text }).waitFor();
    await until(
      "the presenter's video link is connected",
      async () => (await presenter.getByTestId("links-connected").textContent()) === "1/1",
      20_000,
    );
    // Live: the camera checkbox is gone, no field left until editing.
    await expectAccessible(presenter, "none");
    // Editing the live session, and the confirmation before ending it.
    await presenter.getByRole("button", { name: "Edit" }).click();
    await expectAccessible(presenter);
    await presenter.getByRole("button", { name: "Cancel" }).click();
    await presenter.getByRole("button", { name: "End session" }).click();
    await expectAccessible(presenter, "none");
    await presenter.getByRole("button", { name: "Keep going" }).click();
  });

  it("console: the sessions list with a live session", async () => {
    // In a tab of its own: leaving the console would stop the broadcast.
    const list = await presenter.context().newPage();
    await list.goto(`${origin}/`);
    await list.getByRole("link", { name: `Open ${title}` }).waitFor();
    await expectAccessible(list, "none");
    await list.close();
  });

  it("attendee: the join form, typed and from a link", async () => {
    const page = await people.person("carol", { width: 390, height: 844 });
    await page.goto(`${origin}/join`);
    await page.getByLabel("Session code").waitFor();
    await expectAccessible(page);
    await page.goto(`${origin}/join/${joinCode}`);
    await page.getByLabel("Your name").waitFor();
    await expectAccessible(page);
    // A refusal, said where screen readers announce it.
    await page.getByLabel("Session code").fill("NOSUCH");
    await page.getByLabel("Your name").fill("Carol");
    await page.getByRole("button", { name: "Join" }).click();
    await page.getByRole("alert").waitFor();
    await expectAccessible(page);
  });

  it("attendee: the room at phone width (390×844) and at desktop width, with video and questions", async () => {
    await ada.getByTestId("camera-video").waitFor({ timeout: 20_000 });
    await until("video decodes", async () => ((await decoded(ada)).camera ?? 0) > 0, 20_000);
    await ada.getByTestId("question").filter({ hasText: bobQuestion }).waitFor();
    await expectAccessible(ada);
    await ada.setViewportSize({ width: 1280, height: 900 });
    await expectAccessible(ada);
    await ada.setViewportSize({ width: 390, height: 844 });
  });

  it("keyboard only: an attendee joins, asks, and upvotes another attendee's question", async () => {
    const kim = await people.person("kim", { width: 390, height: 844 });
    await kim.goto(`${origin}/join`);
    await kim.getByLabel("Session code").waitFor();
    // The focus order: the code first, then the name, then Join.
    expect(await tabTo(kim, 'input "Session code"')).toEqual(['input "Session code"']);
    await kim.keyboard.type(joinCode);
    expect(await tabTo(kim, 'input "Your name"')).toEqual(['input "Your name"']);
    await kim.keyboard.type("Kim");
    expect(await tabTo(kim, 'button "Join"')).toEqual(['button "Join"']);
    await kim.keyboard.press("Enter");
    await kim.getByRole("heading", { name: "Questions", exact: true }).waitFor();

    const question = "Can everything be done without a mouse?";
    await tabTo(kim, 'textarea "Ask a question"');
    await kim.keyboard.type(question);
    // Anonymous questions are allowed by default: the choice comes before sending.
    expect(await tabTo(kim, 'button "Send question"')).toEqual([
      'input "Ask anonymously"',
      'button "Send question"',
    ]);
    await kim.keyboard.press("Enter");
    await kim.getByText("Your question is on the board.").waitFor();
    await kim.getByTestId("question").filter({ hasText: question }).waitFor();

    const upvote = kim.getByRole("button", { name: `Upvote: ${bobQuestion}` });
    const stops = await tabTo(kim, `button "Upvote: ${bobQuestion}"`);
    // One's own question cannot be upvoted: its button is disabled, so the focus passes it by.
    expect(stops).not.toContain(`button "Upvote: ${question}"`);
    expect(await upvote.getAttribute("aria-pressed")).toBe("false");
    await kim.keyboard.press("Space");
    await until("the vote is pressed", async () => (await upvote.getAttribute("aria-pressed")) === "true");
    await tallyShows(kim, bobQuestion, "1");
    // The focus stayed on the button pressed.
    expect(await focused(kim)).toBe(`button "Upvote: ${bobQuestion}"`);
    expect(await kim.getByText(question).count()).toBeGreaterThan(0);
  });

  it("the session ended: the console and the attendee page", async () => {
    await presenter.getByRole("button", { name: "End session" }).click();
    await presenter.getByRole("button", { name: "Yes, end session" }).click();
    await presenter.locator(".badge.ended").waitFor();
    await expectAccessible(presenter, "none");
    await ada.getByTestId("session-ended").waitFor({ timeout: 10_000 });
    await expectAccessible(ada, "none");
  });
});
