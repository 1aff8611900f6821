import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { healthReportSchema, livenessSchema, readinessSchema } from "./health.schemas.js";
import type { HealthService } from "./health.service.js";

/**
 * /api/health: the dependency report (200, or 503 when a dependency is down) for people and monitors.
 * /api/health/live: the process answers (restart it if not). /api/health/ready: send it traffic (or not).
 * Responses are never cached: a stale "ok" is worse than none.
 */
export const healthRoutes: FastifyPluginAsyncZod<{ health: HealthService }> = async (app, { health }) => {
  // Probes come from one load balancer address, often, and no browser reads them: no rate limit, no CORS, no
  // browser security headers. They are the hottest routes of an instance, and should cost the least.
  const config = { rateLimit: false as const, cors: false as const, securityHeaders: false as const };
  app.get(
    "/api/health",
    {
      config,
      schema: {
        tags: ["health"],
        summary: "Dependency checks with their latency",
        response: { 200: healthReportSchema, 503: healthReportSchema },
      },
    },
    async (_request, reply) => {
      const report = await health.report();
      return reply
        .code(report.status === "ok" ? 200 : 503)
        .header("cache-control", "no-store")
        .send(report);
    },
  );

  app.get(
    "/api/health/live",
    {
      config,
      schema: { tags: ["health"], summary: "Liveness: the process is up", response: { 200: livenessSchema } },
    },
    async (_request, reply) => reply.header("cache-control", "no-store").send({ status: "ok" as const }),
  );

  app.get(
    "/api/health/ready",
    {
      config,
      schema: {
        tags: ["health"],
        summary: "Readiness: dependencies up and not shutting down",
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const { ready, reason, report } = await health.readiness();
      return reply
        .code(ready ? 200 : 503)
        .header("cache-control", "no-store")
        .send({
          status: ready ? "ready" : "not_ready",
          ...(reason ? { reason } : {}),
          checks: report?.checks,
        });
    },
  );
};
