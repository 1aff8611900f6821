import type { FastifySerializerCompiler } from "fastify/types/schema.js";
import fastJson from "fast-json-stringify";
import { z } from "zod";
import { PROBLEM_MEDIA_TYPE } from "./docs.examples.js";

/**
 * Response serializer for Zod route schemas: the schema is turned into JSON Schema once, at start, and compiled
 * with fast-json-stringify (what Fastify uses for JSON Schema routes). Like Zod's own serializer, only the
 * properties the schema declares are ever sent, so a handler cannot leak a column by returning a whole row;
 * unlike it, no per-response validation pass is paid on the hot path.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema, contentType }) =>
  // A route's problem+json responses are declared for the OpenAPI document only: the error handler sends every
  // problem with JSON.stringify (sendProblem), so compiling them would only slow the start.
  contentType === PROBLEM_MEDIA_TYPE
    ? JSON.stringify
    : fastJson(responseJsonSchema(schema) as unknown as Parameters<typeof fastJson>[0]);

export function responseJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    target: "draft-7",
    io: "output",
    // Dates and other non-JSON values fall back to an unconstrained schema: JSON.stringify renders them.
    unrepresentable: "any",
    // Named schemas (`.meta({ id })`) are inlined: each route's serializer stands alone.
    reused: "inline",
    cycles: "ref",
  }) as Record<string, unknown>;
}
