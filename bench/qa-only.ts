/**
 * `npm run bench:qa` (BENCH_ONLY=qa): the Q&A section (qa-bench.ts) alone. Prints its tables and checks, and
 * replaces only the "Q&A" section of bench/RESULTS.md (inserted before "Targets and checks" when the file has
 * none), which then says which run it comes from and carries its own checks.
 */
import { readFile, writeFile } from "node:fs/promises";
import { measureQa, qaSettings } from "./qa-bench.js";
import { renderQaMarkdown } from "./qa-markdown.js";
import { qaTables, renderQaText } from "./qa-report.js";
import { BUSY_MACHINE, markdownTable, plainTable } from "./report.js";
import { mergeSection, separateRunNote, type SectionRun } from "./sections.js";

const HEADING = "## Q&A";

export async function runQaOnly(run: SectionRun & { durationS: number; warmupS: number }): Promise<number> {
  const { log } = run;
  log(
    `Q&A (list against bare Fastify + pg; vote burst and sustained votes against the same upserts through pg)…`,
  );
  const report = await measureQa(run.target, qaSettings(run.durationS, run.warmupS), log);
  const t = qaTables(report, BUSY_MACHINE);
  log([renderQaText(report, t, plainTable), "", plainTable([["check", "result"], ...t.checks])].join("\n"));
  const section = renderQaMarkdown(report, t, markdownTable, separateRunNote("qa", run));
  const existing = await readFile(run.results, "utf8").catch(() => undefined);
  await writeFile(run.results, mergeSection(existing, HEADING, section));
  log(`\nReplaced the "Q&A" section of ${run.results}`);
  if (t.invalid) console.error("Some figures are doubtful (see the checks above).");
  return t.invalid ? 1 : 0;
}
