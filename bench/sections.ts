/** bench/RESULTS.md by section: a section measured in a run of its own replaces only itself. */
import type { DatabaseTarget } from "./podium.js";
import type { MachineInfo } from "./report.js";

/** What bench/run.ts hands a section that runs alone. */
export interface SectionRun {
  target: DatabaseTarget;
  date: Date;
  machine: MachineInfo;
  database: string;
  buildMs: number;
  /** The path of bench/RESULTS.md. */
  results: string;
  log: (line: string) => void;
}

/**
 * `existing` with the section under `heading` replaced by `section` (which starts with that heading), or with it
 * inserted before "## Targets and checks" (at the end when there is none).
 */
export function mergeSection(existing: string | undefined, heading: string, section: string): string {
  const lines = section.trimEnd().split("\n");
  if (!existing) return `# Podium benchmarks\n\n${lines.join("\n")}\n`;
  const old = existing.split("\n");
  const start = old.findIndex((l) => l.trim() === heading);
  if (start >= 0) {
    const next = old.findIndex((l, i) => i > start && l.startsWith("## "));
    return [...old.slice(0, start), ...lines, "", ...old.slice(next < 0 ? old.length : next)].join("\n");
  }
  const targets = old.findIndex((l) => l.trim() === "## Targets and checks");
  if (targets < 0) return `${existing.trimEnd()}\n\n${lines.join("\n")}\n`;
  return [...old.slice(0, targets), ...lines, "", ...old.slice(targets)].join("\n");
}

/** The note opening a section measured alone (`npm run bench:<only>`): when, where, on which commit. */
export function separateRunNote(
  only: string,
  run: { date: Date; machine: MachineInfo; database: string; buildMs: number },
): string {
  const m = run.machine;
  return (
    `From a separate run of this section alone (\`npm run bench:${only}\`, i.e. \`BENCH_ONLY=${only}\`) on ` +
    `${run.date.toISOString()}: ${m.cores} cores, ${m.cpuModel}, Node.js ${m.node}, load average at start ${m.loadAverage}, ` +
    `Podium commit ${m.commit} (built in ${(run.buildMs / 1000).toFixed(2)} s), ${run.database}. The other sections ` +
    `come from the runs named in them, and "Targets and checks" below is the full run's: this run's checks close this section.`
  );
}
