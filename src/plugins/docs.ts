import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { jsonSchemaTransformWithExamples } from "./docs.examples.js";

/** OpenAPI 3.1 generated from the routes' Zod schemas: JSON at /api/docs/json, a browsable page at /api/docs. */
async function docsPlugin(app: FastifyInstance, options: { version: string }) {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Podium API",
        version: options.version,
        description:
          "Live presentation sessions: WebRTC broadcast and real-time Q&A. Errors are RFC 9457 problem+json with a stable `code`.",
      },
      tags: [
        { name: "health", description: "Liveness, readiness and dependency checks" },
        { name: "auth", description: "Who is calling, and API keys" },
        { name: "sessions", description: "Sessions and the roles people hold in them" },
        { name: "attendees", description: "Attendees and their moderation" },
        { name: "questions", description: "The Q&A board: asking, voting, moderation" },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            description: "A session token (set-auth-token) or an attendee token",
          },
          apiKey: { type: "apiKey", in: "header", name: "x-api-key" },
          cookie: { type: "apiKey", in: "cookie", name: "podium.session_token" },
        },
      },
    },
    // Response examples are moved onto their media type objects (see docs.examples.ts).
    transform: jsonSchemaTransformWithExamples,
    // Schemas given an id with `.meta({ id })` become named components, referenced from every route using them.
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: "/api/docs",
    uiConfig: { deepLinking: true },
    staticCSP: true,
  });
}

export default fp(docsPlugin, { name: "docs" });
