import { jsonSchemaTransform } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError, type FieldError } from "../lib/errors.js";
import { statusTitle } from "../lib/http-status.js";
import { toProblem } from "./error-handler.js";

/**
 * Examples in the OpenAPI document. Request examples ride on the Zod schemas (`withExamples` on a body,
 * `.meta({ examples })` on a path or query field), and @fastify/swagger lifts them where OpenAPI wants them.
 * Response examples need help: a response schema with a component id (`.meta({ id })`) is emitted as a bare
 * `$ref`, and @fastify/swagger drops whatever sits beside a `$ref`, examples included. So
 * `jsonSchemaTransformWithExamples` reads each response's examples from its Zod metadata and writes them on
 * the media type object, where Swagger UI shows them.
 */

export const PROBLEM_MEDIA_TYPE = "application/problem+json";

/** What the error handler sends (src/plugins/error-handler.ts), for the document only. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    /** Stable and machine-readable: branch on this. */
    code: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details" });

/** The schema, accepting and sending exactly what it did, with examples for the document. */
export function withExamples<T extends z.ZodType>(schema: T, examples: Array<z.input<T>>): T {
  return schema.meta({ examples });
}

/** A request id as the server makes them (a UUID), for examples. */
const EXAMPLE_REQUEST_ID = "2d3c9f0e-71b4-4c2a-9e85-6a0f1b7d3c29";

/**
 * Error responses of a route, grouped by status, each problem an example rendered exactly as the error handler
 * renders it. `path` is the example request's path (the problem's `instance`).
 */
export function problemResponses(path: string, ...errors: AppError[]) {
  const byStatus = new Map<number, AppError[]>();
  for (const error of errors) byStatus.set(error.status, [...(byStatus.get(error.status) ?? []), error]);
  const responses: Record<
    number,
    { description: string; content: { [PROBLEM_MEDIA_TYPE]: { schema: typeof problemSchema } } }
  > = {};
  for (const [status, list] of byStatus) {
    const examples = list.map((error) => ({
      ...toProblem(error),
      instance: path,
      requestId: EXAMPLE_REQUEST_ID,
    }));
    responses[status] = {
      description: `${statusTitle(status)}: ${list.map((error) => `\`${error.code}\``).join(", ")}`,
      content: { [PROBLEM_MEDIA_TYPE]: { schema: problemSchema.meta({ examples }) } },
    };
  }
  return responses;
}

/** `VALIDATION_FAILED` as the error handler renders a failed schema, with its field errors. */
export function validationFailed(...errors: FieldError[]): AppError {
  return new AppError("VALIDATION_FAILED", 400, "The request is not valid; see `errors`.", { errors });
}

type MediaExamples =
  { example: unknown } | { examples: Record<string, { summary?: string; value: unknown }> };

/**
 * Examples as a media type object carries them: one as `example`; several by name (a problem's `code`, which
 * Swagger UI lists in a drop-down, or `example1`…).
 */
function mediaExamples(schema: unknown): MediaExamples | undefined {
  if (!(schema instanceof z.ZodType)) return undefined;
  const examples = z.globalRegistry.get(schema)?.examples;
  if (!Array.isArray(examples) || examples.length === 0) return undefined;
  const coded = examples.every((value) => typeof (value as { code?: unknown })?.code === "string");
  if (!coded && examples.length === 1) return { example: examples[0] };
  return {
    examples: Object.fromEntries(
      examples.map((value: unknown, index) => {
        const problem = value as { code?: string; detail?: string };
        return coded
          ? [problem.code!, { summary: problem.detail, value }]
          : [`example${index + 1}`, { value }];
      }),
    ),
  };
}

type DocumentedResponse = Record<string, unknown> & {
  description?: string;
  content?: Record<string, Record<string, unknown>>;
};

/** fastify-type-provider-zod's transform, then each response's examples moved onto its media type object. */
export const jsonSchemaTransformWithExamples: typeof jsonSchemaTransform = (input) => {
  const output = jsonSchemaTransform(input);
  const declared = (input.schema as { response?: Record<string, unknown> } | undefined)?.response;
  const documented = (output.schema as { response?: Record<string, DocumentedResponse> } | undefined)
    ?.response;
  if (!declared || !documented) return output;
  for (const [status, response] of Object.entries(declared)) {
    const target = documented[status];
    if (!target) continue;
    const content = (response as { content?: Record<string, { schema?: unknown }> }).content;
    if (content && target.content) {
      for (const [mediaType, { schema }] of Object.entries(content)) {
        const examples = mediaExamples(schema);
        const media = target.content[mediaType];
        if (examples && media) {
          delete (media.schema as Record<string, unknown> | undefined)?.examples;
          Object.assign(media, examples);
        }
      }
      continue;
    }
    const examples = mediaExamples(response);
    if (!examples) continue;
    const { examples: _inSchema, ...schema } = target;
    const description = z.globalRegistry.get(response as z.ZodType)?.description;
    documented[status] = {
      description: description ?? statusTitle(Number(status)),
      content: { "application/json": { schema, ...examples } },
    };
  }
  return output;
};
