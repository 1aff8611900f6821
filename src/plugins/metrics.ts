import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { collectDefaultMetrics, Registry } from "prom-client";
import { AppError } from "../lib/errors.js";

declare module "fastify" {
  interface FastifyInstance {
    /** This app's Prometheus registry (one per app, so several apps in one process never collide). */
    metrics: Registry;
  }
}

/**
 * Prometheus metrics at GET /api/metrics: the process's own (memory, event loop lag, GC) and each module's.
 * With METRICS_TOKEN set, the scraper must send it as a bearer token.
 */
async function metricsPlugin(app: FastifyInstance, options: { token: string | undefined }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "podium_" });
  app.decorate("metrics", registry);
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : null;

  app.get(
    "/api/metrics",
    {
      config: { cors: false, securityHeaders: false, authenticate: false },
      schema: { tags: ["health"], summary: "Prometheus metrics (text exposition format)", hide: false },
    },
    async (request, reply) => {
      if (expected) {
        const given = Buffer.from(request.headers.authorization ?? "");
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw new AppError("METRICS_TOKEN_REQUIRED", 401, "Send the metrics token as a bearer token.");
        }
      }
      return reply
        .header("content-type", registry.contentType)
        .header("cache-control", "no-store")
        .send(await registry.metrics());
    },
  );
}

export default fp(metricsPlugin, { name: "metrics" });
