import { z } from "zod";

/**
 * Per-session settings, stored as JSONB on the session and validated with this schema on every write.
 * Every field has a default, so `{}` is a complete, valid settings object and older rows stay valid when a
 * field is added.
 */
export const qaSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** `pre`: a question is held until a moderator approves it. */
    moderation: z.enum(["none", "pre"]).default("none"),
    allowAnonymous: z.boolean().default(true),
    allowDownvotes: z.boolean().default(false),
    maxQuestionLength: z.number().int().min(20).max(2_000).default(300),
    /** A question with profanity: refused, held for a moderator, or shown with the words masked. */
    profanity: z.enum(["reject", "hold", "mask"]).default("mask"),
    /** Most links a question may carry (0: none). */
    maxLinks: z.number().int().min(0).max(10).default(1),
  })
  .strict();

export const mediaSettingsSchema = z
  .object({
    screenShareAllowed: z.boolean().default(true),
    maxBitrateKbps: z.number().int().min(100).max(20_000).default(2_500),
  })
  .strict();

export const sessionSettingsSchema = z
  .object({
    qa: qaSettingsSchema.prefault({}),
    media: mediaSettingsSchema.prefault({}),
    /** Ask attendees for an email on join; when false, an email sent on join is not stored. */
    collectAttendeeEmail: z.boolean().default(false),
  })
  .strict();

/** The same fields, each optional and without its default: a change names only what it changes. */
function changesOf<T extends z.ZodRawShape>(shape: T) {
  return z
    .object(
      Object.fromEntries(
        Object.entries(shape).map(([key, field]) => [
          key,
          (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType)).optional(),
        ]),
      ),
    )
    .strict();
}

/**
 * A change of settings (PATCH): every field validated as on create, none filled in, so merging it into the stored
 * settings keeps what the presenter set before.
 */
export const sessionSettingsChangeSchema = z
  .object({
    qa: changesOf(qaSettingsSchema.shape).optional(),
    media: changesOf(mediaSettingsSchema.shape).optional(),
    collectAttendeeEmail: z.boolean().optional(),
  })
  .strict();

export type SessionSettings = z.infer<typeof sessionSettingsSchema>;
/** What the JSONB column holds: possibly partial (older rows, defaults omitted); read it through `parseStoredSettings`. */
export type StoredSessionSettings = z.input<typeof sessionSettingsSchema>;

/**
 * Settings read before, by their stored JSON: a session's settings rarely change, and validating them again on
 * every view (each PATCH, start and end, each ask context) cost more than the rest of the view. Frozen, since
 * every reader of the same settings gets the same object.
 */
const parsedSettings = new Map<string, Readonly<SessionSettings>>();
/** Bounded; the oldest entries go first. */
const PARSED_SETTINGS_MAX = 1_000;

/** Settings as stored, completed with today's defaults (and validated, as on write: a bad row throws). */
export function parseStoredSettings(stored: StoredSessionSettings): SessionSettings {
  const key = JSON.stringify(stored);
  let settings = parsedSettings.get(key);
  if (settings === undefined) {
    const parsed = sessionSettingsSchema.parse(stored);
    settings = Object.freeze({
      ...parsed,
      qa: Object.freeze(parsed.qa),
      media: Object.freeze(parsed.media),
    });
    if (parsedSettings.size >= PARSED_SETTINGS_MAX)
      parsedSettings.delete(parsedSettings.keys().next().value!);
    parsedSettings.set(key, settings);
  }
  return settings;
}

export const defaultSessionSettings = (): SessionSettings => sessionSettingsSchema.parse({});
