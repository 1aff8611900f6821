/**
 * `npm run bench:signaling` (BENCH_ONLY=signaling): the WebRTC signaling section (signaling-bench.ts) alone. Prints
 * its tables and checks, and replaces only the "WebRTC signaling" section of bench/RESULTS.md, which then says which
 * run it comes from and carries its own checks.
 */
import { readFile, writeFile } from "node:fs/promises";
import { markdownTable, plainTable } from "./report.js";
import { mergeSection, separateRunNote, type SectionRun } from "./sections.js";
import { measureSignaling, signalingSettings } from "./signaling-bench.js";
import {
  SIGNALING_HEADING,
  renderSignalingMarkdown,
  renderSignalingText,
  signalingTables,
} from "./signaling-report.js";

export async function runSignalingOnly(run: SectionRun): Promise<number> {
  const { log } = run;
  log(
    "WebRTC signaling (presenter + scripted attendees, relay latency and routing) against a raw Socket.io relay…",
  );
  const report = await measureSignaling(run.target, signalingSettings(), log);
  const t = signalingTables(report);
  log(renderSignalingText(report, t, plainTable));
  log("");
  log(plainTable([["check", "result"], ...t.checks]));
  const note = separateRunNote("signaling", run);
  const existing = await readFile(run.results, "utf8").catch(() => undefined);
  const section = renderSignalingMarkdown(report, t, markdownTable, note);
  await writeFile(run.results, mergeSection(existing, SIGNALING_HEADING, section));
  log(`\nReplaced the "WebRTC signaling" section of ${run.results}`);
  if (t.invalid) console.error("Some figures are doubtful (see the checks above).");
  return t.invalid ? 1 : 0;
}
