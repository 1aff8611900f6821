import { z } from "zod";

export const checkResultSchema = z.object({
  status: z.enum(["up", "down"]),
  latencyMs: z.number(),
  error: z.enum(["timeout", "unreachable", "error"]).optional(),
});

export const healthReportSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    checks: z.record(z.string(), checkResultSchema),
    uptimeSeconds: z.number().int(),
    version: z.string(),
  })
  .meta({ id: "HealthReport" });

export const livenessSchema = z.object({ status: z.literal("ok") });

export const readinessSchema = z.object({
  status: z.enum(["ready", "not_ready"]),
  reason: z.enum(["shutting_down", "dependency_down"]).optional(),
  checks: z.record(z.string(), checkResultSchema).optional(),
});
