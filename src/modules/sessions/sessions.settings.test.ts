import { describe, expect, it } from "vitest";
import { defaultSessionSettings, parseStoredSettings, sessionSettingsSchema } from "./sessions.settings.js";

describe("session settings", () => {
  it("completes an empty or partial object with defaults", () => {
    expect(defaultSessionSettings()).toEqual({
      qa: {
        enabled: true,
        moderation: "none",
        allowAnonymous: true,
        allowDownvotes: false,
        maxQuestionLength: 300,
        profanity: "mask",
        maxLinks: 1,
      },
      media: { screenShareAllowed: true, maxBitrateKbps: 2500 },
      collectAttendeeEmail: false,
    });
    const partial = parseStoredSettings({ qa: { moderation: "pre" } });
    expect(partial.qa).toMatchObject({ moderation: "pre", enabled: true, maxQuestionLength: 300 });
    expect(partial.media.screenShareAllowed).toBe(true);
  });

  it("refuses unknown fields and out-of-range values, naming the field", () => {
    const unknown = sessionSettingsSchema.safeParse({ qa: { moderation: "pre", ownerId: "x" } });
    expect(unknown.success).toBe(false);
    expect(unknown.error?.issues[0]?.path).toEqual(["qa"]);
    const tooLong = sessionSettingsSchema.safeParse({ qa: { maxQuestionLength: 100_000 } });
    expect(tooLong.error?.issues[0]?.path).toEqual(["qa", "maxQuestionLength"]);
    const badMode = sessionSettingsSchema.safeParse({ qa: { moderation: "post" } });
    expect(badMode.success).toBe(false);
    const bitrate = sessionSettingsSchema.safeParse({ media: { maxBitrateKbps: 10 } });
    expect(bitrate.error?.issues[0]?.path).toEqual(["media", "maxBitrateKbps"]);
  });
});
