/**
 * `npm run bench:qa` (BENCH_ONLY=qa): the Q&A section (qa-bench.ts) alone. Prints its tables and checks, and
 * replaces only the "Q&A" section of bench/RESULTS.md (inserted before "Targets and checks" when the file has
 * none), which then says which run it comes from and carries its own checks.
 */
import { readFile, writeFile } from "node:fs/promises";
import type { DatabaseTarget } from "./podium.js";
import { measureQa, qaSettings } from "./qa-bench.js";
import { renderQaMarkdown } from "./qa-markdown.js";
import { qaTables, renderQaText } from "./qa-report.js";
import { BUSY_MACHINE, markdownTable, plainTable, type MachineInfo } from "./report.js";

const HEADING = "## Q&A";

export async function runQaOnly(run: {
  target: DatabaseTarget;
  durationS: number;
  warmupS: number;
  date: Date;
  machine: MachineInfo;
  database: string;
  buildMs: number;
  results: string;
  log: (line: string) => void;
}): Promise<number> {
  const { log, machine: m } = run;
  log(
    `Q&A (list against bare Fastify + pg; vote burst and sustained votes against the same upserts through pg)…`,
  );
  const report = await measureQa(run.target, qaSettings(run.durationS, run.warmupS), log);
  const t = qaTables(report, BUSY_MACHINE);
  log([renderQaText(report, t, plainTable), "", plainTable([["check", "result"], ...t.checks])].join("\n"));
  const note =
    `From a separate run of this section alone (\`npm run bench:qa\`, i.e. \`BENCH_ONLY=qa\`) on ` +
    `${run.date.toISOString()}: ${m.cores} cores, ${m.cpuModel}, Node.js ${m.node}, load average at start ${m.loadAverage}, ` +
    `Podium commit ${m.commit} (built in ${(run.buildMs / 1000).toFixed(2)} s), ${run.database}. The other sections ` +
    `come from the runs named in them, and "Targets and checks" below is the full run's: this run's checks close this section.`;
  const section = renderQaMarkdown(report, t, markdownTable, note).trimEnd().split("\n");
  const existing = await readFile(run.results, "utf8").catch(() => undefined);
  let merged: string;
  if (!existing) merged = `# Podium benchmarks\n\n${section.join("\n")}\n`;
  else {
    const lines = existing.split("\n");
    const start = lines.findIndex((l) => l.trim() === HEADING);
    const targets = lines.findIndex((l) => l.trim() === "## Targets and checks");
    if (start >= 0) {
      const next = lines.findIndex((l, i) => i > start && l.startsWith("## "));
      merged = [
        ...lines.slice(0, start),
        ...section,
        "",
        ...lines.slice(next < 0 ? lines.length : next),
      ].join("\n");
    } else if (targets >= 0) {
      merged = [...lines.slice(0, targets), ...section, "", ...lines.slice(targets)].join("\n");
    } else merged = `${existing.trimEnd()}\n\n${section.join("\n")}\n`;
  }
  await writeFile(run.results, merged);
  log(`\nReplaced the "Q&A" section of ${run.results}`);
  if (t.invalid) console.error("Some figures are doubtful (see the checks above).");
  return t.invalid ? 1 : 0;
}
