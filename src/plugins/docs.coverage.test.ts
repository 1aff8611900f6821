import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { projectRoot } from "../lib/paths.js";

/** The routes of issue 4 (sessions and attendees), as the OpenAPI document names them. */
const ISSUE_4_ROUTES = [
  "POST /api/sessions",
  "GET /api/sessions",
  "GET /api/sessions/{id}",
  "PATCH /api/sessions/{id}",
  "DELETE /api/sessions/{id}",
  "POST /api/sessions/{id}/start",
  "POST /api/sessions/{id}/end",
  "GET /api/join/{code}",
  "POST /api/attendee/join/{sessionId}",
  "POST /api/attendee/leave/{sessionId}",
  "POST /api/attendee/update-status",
  "GET /api/sessions/{id}/attendees",
  "POST /api/sessions/{id}/attendees/{attendeeId}/ban",
  "DELETE /api/sessions/{id}/attendees/{attendeeId}",
  "GET /api/sessions/{id}/members",
  "PUT /api/sessions/{id}/members/{userId}",
  "DELETE /api/sessions/{id}/members/{userId}",
];

interface Media {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { summary?: string; value: unknown }>;
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; schema?: unknown; example?: unknown }>;
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { description?: string; content?: Record<string, Media> }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const examplesOf = (media: Media | undefined): unknown[] =>
  media?.example !== undefined
    ? [media.example]
    : Object.values(media?.examples ?? {}).map((example) => example.value);

describe("the OpenAPI document and docs/API.md cover the sessions and attendees routes", () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let apiMd: string;
  /** Every operation tagged sessions or attendees: a route added there later is held to the same rules. */
  let operations: Map<string, Operation>;

  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.app.inject({ method: "GET", url: "/api/docs/json" });
    expect(res.statusCode).toBe(200);
    doc = res.json();
    apiMd = await readFile(join(projectRoot(), "docs", "API.md"), "utf8");
    operations = new Map();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (operation.tags?.some((tag) => tag === "sessions" || tag === "attendees")) {
          operations.set(`${method.toUpperCase()} ${path}`, operation);
        }
      }
    }
  });
  afterAll(async () => t.close());

  /**
   * A Zod validator for a schema of the document, its component references resolved. Zod compiles `pattern`
   * without the `u` flag, so a pattern using Unicode property escapes (the join name's `\P{Cc}`) is left out.
   */
  function validator(schema: unknown) {
    const json = JSON.stringify({ ...(schema as object), $defs: doc.components.schemas }, (key, value) =>
      key === "pattern" && typeof value === "string" && /\\[pP]\{/.test(value) ? undefined : value,
    ).replaceAll('"#/components/schemas/', '"#/$defs/');
    return z.fromJSONSchema({ $schema: "https://json-schema.org/draft/2020-12/schema", ...JSON.parse(json) });
  }

  function operation(route: string): Operation {
    const found = operations.get(route);
    expect(found, `${route} is not in the OpenAPI document`).toBeDefined();
    return found!;
  }

  function expectValid(schema: unknown, value: unknown, where: string) {
    const result = validator(schema).safeParse(value);
    expect(result.success, `${where}: ${JSON.stringify(result.error?.issues)}`).toBe(true);
  }

  it("has every route of issue 4, and nothing tagged sessions or attendees beyond them", () => {
    expect([...operations.keys()].sort()).toEqual([...ISSUE_4_ROUTES].sort());
  });

  it.each(ISSUE_4_ROUTES)("%s: summary, description, and an example for every parameter", (route) => {
    const op = operation(route);
    expect(op.summary?.trim(), route).toBeTruthy();
    expect(op.description?.trim(), route).toBeTruthy();
    const pathParams = [...route.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    expect(op.parameters?.filter((p) => p.in === "path").map((p) => p.name) ?? [], route).toEqual(
      expect.arrayContaining(pathParams),
    );
    for (const parameter of op.parameters ?? []) {
      expect(parameter.example, `${route} ${parameter.in} ${parameter.name}`).toBeDefined();
      expectValid(parameter.schema, parameter.example, `${route} ${parameter.name}`);
    }
  });

  it.each(ISSUE_4_ROUTES)("%s: a valid request example when it takes a body", (route) => {
    const body = operation(route).requestBody;
    if (!body) return;
    const media = body.content["application/json"];
    const examples = examplesOf(media);
    expect(examples.length, `${route} request example`).toBeGreaterThan(0);
    for (const example of examples) expectValid(media!.schema, example, `${route} request`);
  });

  it.each(ISSUE_4_ROUTES)("%s: a valid example of each success response", (route) => {
    const successes = Object.entries(operation(route).responses).filter(([status]) => /^2/.test(status));
    expect(successes.length, route).toBeGreaterThan(0);
    for (const [status, response] of successes) {
      if (status === "204") {
        expect(response.content, `${route} 204 has no body`).toBeUndefined();
        continue;
      }
      const media = response.content?.["application/json"];
      const examples = examplesOf(media);
      expect(examples.length, `${route} ${status} example`).toBeGreaterThan(0);
      for (const example of examples) expectValid(media!.schema, example, `${route} ${status}`);
    }
  });

  it.each(ISSUE_4_ROUTES)("%s: its error responses as problem+json examples, named by code", (route) => {
    const errors = Object.entries(operation(route).responses).filter(([status]) => /^[45]/.test(status));
    expect(errors.length, `${route} documents its errors`).toBeGreaterThan(0);
    for (const [status, response] of errors) {
      const media = response.content?.["application/problem+json"];
      expect(media?.examples, `${route} ${status} examples`).toBeDefined();
      for (const [name, { value }] of Object.entries(media!.examples!)) {
        expect(value, `${route} ${status} ${name}`).toMatchObject({ code: name, status: Number(status) });
        expectValid(media!.schema, value, `${route} ${status} ${name}`);
      }
    }
  });

  it("documents the main refusals: validation, not found, full, ended", () => {
    const codes = (route: string, status: string) =>
      Object.keys(operation(route).responses[status]?.content?.["application/problem+json"]?.examples ?? {});
    expect(codes("POST /api/sessions", "400")).toContain("VALIDATION_FAILED");
    expect(codes("GET /api/sessions/{id}", "404")).toContain("SESSION_NOT_FOUND");
    expect(codes("POST /api/attendee/join/{sessionId}", "409")).toEqual(
      expect.arrayContaining(["SESSION_FULL", "SESSION_NOT_OPEN"]),
    );
    expect(codes("POST /api/attendee/join/{sessionId}", "410")).toContain("SESSION_ENDED");
    expect(codes("DELETE /api/sessions/{id}", "409")).toContain("SESSION_LIVE");
    expect(codes("POST /api/sessions/{id}/end", "409")).toContain("SESSION_NOT_LIVE");
    expect(codes("GET /api/join/{code}", "429")).toContain("RATE_LIMITED");
  });

  it("docs/API.md names every route (method and path) and every error code the document gives them", () => {
    for (const route of ISSUE_4_ROUTES) {
      const [method, path] = route.split(" ") as [string, string];
      const written = `${method} ${path.replace(/\{(\w+)\}/g, ":$1")}`;
      // Not a prefix of a longer path: `GET /api/sessions` is not `GET /api/sessions/:id`.
      const pattern = new RegExp(`${written.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(?![\\w/:-])`);
      expect(apiMd, `docs/API.md lacks ${written}`).toMatch(pattern);
    }
    const codes = new Set<string>();
    for (const route of ISSUE_4_ROUTES) {
      for (const response of Object.values(operation(route).responses)) {
        for (const name of Object.keys(response.content?.["application/problem+json"]?.examples ?? {})) {
          codes.add(name);
        }
      }
    }
    for (const code of codes) expect(apiMd, `docs/API.md lacks ${code}`).toContain(`\`${code}\``);
  });
});
