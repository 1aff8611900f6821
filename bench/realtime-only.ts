/**
 * `npm run bench:realtime` (BENCH_ONLY=realtime): the real-time section (realtime-bench.ts) alone. Prints its
 * tables and checks, and replaces only the "Real-time" section of bench/RESULTS.md, which then says which run
 * it comes from and carries its own checks.
 */
import { readFile, writeFile } from "node:fs/promises";
import { measureRealtime, realtimeSettings } from "./realtime-bench.js";
import { mergeRealtimeMarkdown, renderRealtimeOnlyText } from "./report.js";
import type { SectionRun } from "./sections.js";

export async function runRealtimeOnly(run: SectionRun): Promise<number> {
  const { log } = run;
  log(`Real-time (REST change → receipt on every socket, heap per socket, waves) against raw Socket.io…`);
  const realtime = await measureRealtime(run.target, realtimeSettings(), log);
  const { text, invalid } = renderRealtimeOnlyText(realtime);
  log(text);
  const existing = await readFile(run.results, "utf8").catch(() => undefined);
  await writeFile(run.results, mergeRealtimeMarkdown(existing, realtime, run));
  log(`\nReplaced the "Real-time" section of ${run.results}`);
  if (invalid) console.error("Some figures are doubtful (see the checks above).");
  return invalid ? 1 : 0;
}
