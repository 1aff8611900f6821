import { describe, expect, it, vi } from "vitest";
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

  it("validates stored settings once per distinct value, and still refuses a bad one", () => {
    const parse = vi.spyOn(sessionSettingsSchema, "parse");
    try {
      // Equal values from two reads of the row (new objects each time): validated once, the same frozen result.
      const first = parseStoredSettings({ qa: { maxLinks: 3 }, media: { maxBitrateKbps: 900 } });
      const second = parseStoredSettings({ qa: { maxLinks: 3 }, media: { maxBitrateKbps: 900 } });
      expect(second).toBe(first);
      expect(parse).toHaveBeenCalledTimes(1);
      expect(Object.isFrozen(first) && Object.isFrozen(first.qa) && Object.isFrozen(first.media)).toBe(true);
      expect(() => {
        (first.qa as { maxLinks: number }).maxLinks = 9;
      }).toThrow(TypeError);
      // Another value is its own entry; a bad one throws every time rather than being remembered.
      expect(parseStoredSettings({ qa: { maxLinks: 4 } }).qa.maxLinks).toBe(4);
      const bad = { qa: { maxLinks: 99 } };
      expect(() => parseStoredSettings(bad)).toThrow();
      expect(() => parseStoredSettings(bad)).toThrow();
      expect(parse).toHaveBeenCalledTimes(4);
    } finally {
      parse.mockRestore();
    }
  });
});
