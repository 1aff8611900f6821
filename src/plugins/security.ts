import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/**
 * Security headers (helmet) and CORS. Only the configured origins may call the API from a browser, with
 * credentials; everything else gets no CORS headers, so the browser refuses to hand it the response.
 */
async function securityPlugin(app: FastifyInstance, options: { trustedOrigins: string[] }) {
  await app.register(helmet, {
    // The API serves JSON; the docs page brings its own CSP (swagger-ui's staticCSP).
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: "same-site" },
  });
  const allowed = new Set(options.trustedOrigins);
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    allowedHeaders: ["authorization", "content-type", "x-api-key", "x-request-id", "idempotency-key"],
    exposedHeaders: [
      "set-auth-token",
      "x-request-id",
      "retry-after",
      "ratelimit-limit",
      "ratelimit-remaining",
      "ratelimit-reset",
      "ratelimit-policy",
    ],
    maxAge: 600,
  });
}

export default fp(securityPlugin, { name: "security" });
