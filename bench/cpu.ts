/**
 * How much of the machine's CPU went to processes other than this benchmark and its servers during a
 * measurement. These machines are shared (other sessions run tests and compilers): a load run during
 * which others took a large share measured the neighbours as much as the server, and says so in the report.
 * Linux only (/proc); elsewhere the share is reported as unknown.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface CpuSnapshot {
  /** Jiffies the whole machine spent busy (all cores). */
  busy: number;
  /** Jiffies elapsed, busy + idle (all cores). */
  total: number;
  /** Jiffies used by this process and all its descendants (servers, postmaster, backends), reaped ones included. */
  ours: number;
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

interface ProcStat {
  ppid: number;
  ticks: number;
}

function readProc(pid: string): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: the fields that follow start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the name: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17), so index = field number − 3.
    // cutime/cstime hold the children this process has reaped: a child that exits between two snapshots (a
    // load client, a PostgreSQL backend) stays ours instead of turning into "others'" CPU.
    const own = Number(fields[11]) + Number(fields[12]);
    const reaped = Number(fields[13]) + Number(fields[14]);
    return { ppid: Number(fields[1]), ticks: own + reaped };
  } catch {
    return undefined; // exited while we were reading
  }
}

function treeTicks(roots: number[]): number {
  const procs = new Map<number, ProcStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(entry);
    if (stat) procs.set(Number(entry), stat);
  }
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of procs) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let ticks = 0;
  const stack = [...new Set(roots)];
  while (stack.length) {
    const pid = stack.pop()!;
    ticks += procs.get(pid)?.ticks ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return ticks;
}

/** `alsoOurs`: processes outside our tree that the measurement uses (e.g. the machine's Redis), with their children. */
export function cpuSnapshot(alsoOurs: number[] = []): CpuSnapshot | undefined {
  try {
    return { ...machineTicks(), ours: treeTicks([process.pid, ...alsoOurs]) };
  } catch {
    return undefined;
  }
}

/** Share of all cores' time that other processes used between two snapshots (0–1), if known. */
export function othersShare(
  before: CpuSnapshot | undefined,
  after: CpuSnapshot | undefined,
): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  const others = after.busy - before.busy - (after.ours - before.ours);
  return Math.min(1, Math.max(0, others / (after.total - before.total)));
}
