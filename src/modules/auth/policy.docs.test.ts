import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths.js";
import { SESSION_ACTIONS, SESSION_POLICY, WORKSPACE_ACTIONS, WORKSPACE_POLICY } from "./policy.js";

/** The access matrix in docs/API.md is the policy module's, rendered: this fails when the two drift apart. */
function renderPolicyMatrix(): string {
  const yes = (value: boolean) => (value ? "✓" : "—");
  const header =
    "| action | host | co-host | moderator | workspace owner / admin | workspace member | platform admin | attendee of the session | API key scope |\n" +
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |";
  const sessionRows = SESSION_ACTIONS.map((action) => {
    const rule = SESSION_POLICY[action];
    return `| \`${action}\` | ${yes(rule.sessionRoles.includes("host"))} | ${yes(rule.sessionRoles.includes("co_host"))} | ${yes(rule.sessionRoles.includes("moderator"))} | ${yes(rule.workspaceRoles.includes("admin"))} | ${yes(rule.workspaceRoles.includes("member"))} | ${yes(rule.platformAdmin)} | ${yes(rule.attendee)} | ${rule.scope ? `\`${rule.scope}\`` : "—"} |`;
  });
  const workspaceRows = WORKSPACE_ACTIONS.map((action) => {
    const rule = WORKSPACE_POLICY[action];
    return `| \`${action}\` | — | — | — | ${yes(rule.workspaceRoles.includes("admin"))} | ${yes(rule.workspaceRoles.includes("member"))} | ${yes(rule.platformAdmin)} | ${yes(rule.attendee)} | ${rule.scope ? `\`${rule.scope}\`` : "—"} |`;
  });
  return [header, ...sessionRows, ...workspaceRows].join("\n");
}

describe("the documented access matrix", () => {
  it("is the policy module's matrix", async () => {
    const doc = await readFile(join(projectRoot(), "docs", "API.md"), "utf8");
    const start = doc.indexOf("<!-- policy-matrix:start -->");
    const end = doc.indexOf("<!-- policy-matrix:end -->");
    expect(start, "docs/API.md lacks the policy-matrix markers").toBeGreaterThan(-1);
    const documented = doc.slice(start + "<!-- policy-matrix:start -->".length, end).trim();
    // Prettier pads table cells; compare cell by cell.
    const cells = (table: string) =>
      table.split("\n").map((row) => row.split("|").map((cell) => cell.trim().replace(/^-+$/, "---")));
    expect(cells(documented)).toEqual(cells(renderPolicyMatrix()));
  });
});
