import { z } from "zod";
import {
  EXAMPLE_JOIN_CODE,
  EXAMPLE_SESSION_ID,
  EXAMPLE_WORKSPACE_ID,
  sessionPageExample,
} from "./sessions.examples.js";
import { sessionSettingsChangeSchema, sessionSettingsSchema } from "./sessions.settings.js";

const title = z.string().trim().min(1).max(200);
const description = z.string().trim().max(5_000).nullable();
const scheduledAt = z.iso.datetime({ offset: true }).nullable();
const capacity = z.int().min(1).max(100_000);

export const createSessionBody = z
  .object({
    title,
    description: description.optional(),
    scheduledAt: scheduledAt.optional(),
    capacity: capacity.optional(),
    settings: sessionSettingsSchema.optional(),
    /** Defaults to the caller's personal workspace. */
    workspaceId: z.uuid().optional(),
  })
  .strict();

/** Only what a presenter may change: status, owner, code and counters are not fields here (mass assignment). */
export const updateSessionBody = z
  .object({
    title: title.optional(),
    description: description.optional(),
    scheduledAt: scheduledAt.optional(),
    capacity: capacity.optional(),
    // Merged into the stored settings field by field (a schema with defaults would overwrite what the presenter
    // set before).
    settings: sessionSettingsChangeSchema
      .meta({ description: "the settings fields to change; the others keep their stored values" })
      .optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, "send at least one field to change");

export const sessionParams = z.object({ id: z.uuid().meta({ examples: [EXAMPLE_SESSION_ID] }) }).strict();

export const sessionSchema = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    ownerId: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    status: z.enum(["draft", "scheduled", "live", "ended"]),
    joinCode: z.string(),
    capacity: z.int(),
    settings: sessionSettingsSchema,
    scheduledAt: z.iso.datetime().nullable(),
    startedAt: z.iso.datetime().nullable(),
    endedAt: z.iso.datetime().nullable(),
    version: z.int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Session" });

export const listSessionsQuery = z
  .object({
    // Examples of a transformed value go on its input side: Zod leaves a pipe's own out of input schemas.
    status: z
      .string()
      .meta({ examples: ["live,scheduled"] })
      .transform((value) => value.split(",").map((item) => item.trim()))
      .pipe(z.array(z.enum(["draft", "scheduled", "live", "ended"])).min(1))
      .optional()
      .meta({ description: "comma-separated statuses, e.g. `live,scheduled`" }),
    workspaceId: z
      .uuid()
      .optional()
      .meta({ examples: [EXAMPLE_WORKSPACE_ID] }),
    createdFrom: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: "created at or after", examples: ["2026-03-01T00:00:00Z"] }),
    createdTo: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: "created before", examples: ["2026-04-01T00:00:00Z"] }),
    cursor: z
      .string()
      .max(200)
      .optional()
      .meta({ description: "`nextCursor` of the previous page", examples: [sessionPageExample.nextCursor] }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(100)
      .default(20)
      .meta({ examples: [20] }),
  })
  .strict();

export const sessionListItemSchema = sessionSchema
  .extend({
    summary: z.object({
      /** Attendees connected or reconnecting right now. */
      attendeesNow: z.int(),
      peakAttendees: z.int(),
      questions: z.int(),
    }),
  })
  .meta({ id: "SessionListItem" });

export const sessionPageSchema = z.object({
  items: z.array(sessionListItemSchema),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});

export type ListSessionsQuery = z.infer<typeof listSessionsQuery>;
export type SessionPage = z.infer<typeof sessionPageSchema>;

export const joinCodeParams = z
  .object({
    // Typed by people: accepted in any case, compared in upper case.
    code: z
      .string()
      .meta({ examples: [EXAMPLE_JOIN_CODE] })
      .transform((code) => code.trim().toUpperCase())
      .pipe(z.string().regex(/^[A-Z0-9]{4,12}$/, "a join code is 4 to 12 letters and digits")),
  })
  .strict();

export const publicSessionSchema = z
  .object({
    sessionId: z.uuid(),
    title: z.string(),
    status: z.enum(["scheduled", "live"]),
    presenterName: z.string().nullable(),
    /** Whether the session takes questions. */
    qaOpen: z.boolean(),
    scheduledAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "PublicSession" });

export type PublicSessionView = z.infer<typeof publicSessionSchema>;
export type CreateSessionInput = z.infer<typeof createSessionBody>;
export type UpdateSessionInput = z.infer<typeof updateSessionBody>;
export type SessionView = z.infer<typeof sessionSchema>;
