import { describe, expect, it } from "vitest";
import { z } from "zod";
import { serializerCompiler } from "./serializer.js";

const compile = (schema: z.ZodType) =>
  serializerCompiler({ schema, method: "GET", url: "/x", httpStatus: "200" }) as (data: unknown) => string;

describe("response serializer", () => {
  it("sends only what the schema declares, however much the handler returns", () => {
    const user = z.object({ id: z.string(), name: z.string() }).meta({ id: "SerializerTestUser" });
    const out = compile(z.object({ user, count: z.number() }))({
      user: { id: "u1", name: "Ada", email: "ada@example.com", passwordHash: "x" },
      count: 2,
      internal: true,
    });
    expect(JSON.parse(out)).toEqual({ user: { id: "u1", name: "Ada" }, count: 2 });
  });

  it("renders dates, nulls, optional fields, arrays, records and unions", () => {
    const schema = z.object({
      at: z.date(),
      maybe: z.number().nullable(),
      absent: z.string().optional(),
      tags: z.array(z.string()),
      byName: z.record(z.string(), z.object({ ok: z.boolean() })),
      either: z.union([z.string(), z.number()]),
    });
    const out = compile(schema)({
      at: new Date(0),
      maybe: null,
      tags: ["a"],
      byName: { x: { ok: true } },
      either: 3,
    });
    expect(JSON.parse(out)).toEqual({
      at: "1970-01-01T00:00:00.000Z",
      maybe: null,
      tags: ["a"],
      byName: { x: { ok: true } },
      either: 3,
    });
  });

  it("refuses a response missing a required field instead of sending a partial object", () => {
    expect(() => compile(z.object({ id: z.string(), name: z.string() }))({ id: "u1" })).toThrow(/name/);
  });
});
