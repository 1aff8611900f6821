import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, inject, it } from "vitest";

/** Issue 8, point 4: the attendee page's JavaScript stays under 150 KB gzipped (phones on venue Wi-Fi). */
const ATTENDEE_BUDGET_BYTES = 150 * 1024;

/**
 * Every script a page loads: its entry module, the chunks it preloads, and whatever those import statically,
 * followed to the end (a chunk imported only dynamically would load later and is counted too, to be safe).
 */
async function pageScripts(dir: string, page: string): Promise<Map<string, Buffer>> {
  const html = await readFile(join(dir, page), "utf8");
  const pending = [...html.matchAll(/(?:src|href)="\/assets\/([\w.-]+\.js)"/g)].map((m) => m[1]!);
  const scripts = new Map<string, Buffer>();
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (scripts.has(name)) continue;
    const code = await readFile(join(dir, "assets", name));
    scripts.set(name, code);
    for (const m of code.toString("utf8").matchAll(/(?:from|import)\s*\(?\s*["']\.\/([\w.-]+\.js)["']/g))
      pending.push(m[1]!);
  }
  return scripts;
}

const gzipped = (scripts: Map<string, Buffer>) =>
  [...scripts.values()].reduce((sum, code) => sum + gzipSync(code, { level: 9 }).length, 0);

describe("bundle size", () => {
  it("the attendee page loads under 150 KB of gzipped JavaScript", async () => {
    const dir = inject("webClientDir");
    const attendee = await pageScripts(dir, "join.html");
    const presenterConsole = await pageScripts(dir, "index.html");
    expect(attendee.size).toBeGreaterThan(0);
    // socket.io-client and Preact are in it: the count follows the imports rather than one file.
    expect([...attendee.values()].some((code) => code.includes("socket.io"))).toBe(true);
    const size = gzipped(attendee);
    process.stdout.write(
      `attendee page JavaScript: ${(size / 1024).toFixed(1)} KB gzipped in ${attendee.size} files; ` +
        `presenter console: ${(gzipped(presenterConsole) / 1024).toFixed(1)} KB\n`,
    );
    expect(size).toBeLessThan(ATTENDEE_BUDGET_BYTES);
  });
});
