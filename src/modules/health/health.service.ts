import { isConnectionError } from "../../lib/connection-errors.js";

/**
 * Health of this instance and of what it depends on. Free of HTTP: routes turn a report into a status code.
 */

export type CheckStatus = "up" | "down";

export interface CheckResult {
  status: CheckStatus;
  latencyMs: number;
  /** Why a check failed, in words safe to show publicly (no hosts, no credentials). */
  error?: "timeout" | "unreachable" | "error";
}

export interface HealthReport {
  status: "ok" | "unavailable";
  checks: Record<string, CheckResult>;
  uptimeSeconds: number;
  version: string;
}

/** A dependency this instance cannot serve without (the database; Redis when configured). */
export interface DependencyCheck {
  name: string;
  check(): Promise<unknown>;
}

export interface HealthServiceDeps {
  checks: DependencyCheck[];
  timeoutMs: number;
  version: string;
  isShuttingDown: () => boolean;
  startedAt?: number;
}

export function createHealthService(deps: HealthServiceDeps) {
  const startedAt = deps.startedAt ?? Date.now();

  async function runCheck(dependency: DependencyCheck): Promise<CheckResult> {
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), deps.timeoutMs);
    });
    try {
      const outcome = await Promise.race([dependency.check().then(() => "up" as const), timeout]);
      const latencyMs = round(performance.now() - start);
      return outcome === "up" ? { status: "up", latencyMs } : { status: "down", latencyMs, error: "timeout" };
    } catch (error) {
      return {
        status: "down",
        latencyMs: round(performance.now() - start),
        error: isConnectionError(error) ? "unreachable" : "error",
      };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    /** Every dependency checked concurrently; `ok` only when all are up. */
    async report(): Promise<HealthReport> {
      const results = await Promise.all(deps.checks.map(async (c) => [c.name, await runCheck(c)] as const));
      const checks = Object.fromEntries(results);
      return {
        status: results.every(([, r]) => r.status === "up") ? "ok" : "unavailable",
        checks,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        version: deps.version,
      };
    },
    /** Ready to take traffic: dependencies up and not draining for shutdown. */
    async readiness(): Promise<{
      ready: boolean;
      reason?: "shutting_down" | "dependency_down";
      report?: HealthReport;
    }> {
      if (deps.isShuttingDown()) return { ready: false, reason: "shutting_down" };
      const report = await this.report();
      return report.status === "ok"
        ? { ready: true, report }
        : { ready: false, reason: "dependency_down", report };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;

const round = (ms: number) => Math.round(ms * 100) / 100;
