import { describe, expect, it } from "vitest";
import { LADDER, measuredLevel, recommend, sameRecommendation, THRESHOLDS } from "./bandwidth.js";

const cap = { sessionMaxBitrateKbps: 2_500 };

describe("bandwidth rules", () => {
  it("recommends the session's maximum at 720p30 on a clean link", () => {
    expect(recommend({ rttMs: 20, jitterMs: 2, packetLossPct: 0, fps: 30 }, cap)).toEqual({
      level: "good",
      maxBitrateKbps: 2_500,
      maxHeight: 720,
      maxFramerate: 30,
    });
  });

  it.each([
    [{ packetLossPct: 2 }, "fair"],
    [{ rttMs: 200 }, "fair"],
    [{ jitterMs: 30 }, "fair"],
    [{ packetLossPct: 5 }, "poor"],
    [{ rttMs: 400 }, "poor"],
    [{ jitterMs: 50 }, "poor"],
    [{ packetLossPct: 10 }, "bad"],
    [{ rttMs: 800 }, "bad"],
    [{ jitterMs: 100 }, "bad"],
    [{ packetLossPct: 1.99, rttMs: 199, jitterMs: 29.9 }, "good"],
  ] as const)("rates %j as %s (each threshold is inclusive)", (quality, level) => {
    expect(measuredLevel(quality)).toBe(level);
  });

  it("lets the worst figure decide", () => {
    expect(measuredLevel({ rttMs: 10, jitterMs: 1, packetLossPct: 12 })).toBe("bad");
    expect(measuredLevel({ rttMs: 450, packetLossPct: 0 })).toBe("poor");
  });

  it("ignores figures not reported (an empty report is a good link)", () => {
    expect(measuredLevel({})).toBe("good");
    expect(measuredLevel({ bitrateKbps: 10, fps: 1 })).toBe("good");
  });

  it("steps down at once", () => {
    expect(recommend({ packetLossPct: 15 }, { ...cap, previous: "good" })).toEqual({
      level: "bad",
      ...LADDER.bad,
    });
  });

  it("climbs back one level per evaluation", () => {
    const clean = { rttMs: 10, packetLossPct: 0 };
    const levels = ["bad"] as Array<"bad" | "poor" | "fair" | "good">;
    for (let i = 0; i < 4; i++) levels.push(recommend(clean, { ...cap, previous: levels.at(-1) }).level);
    expect(levels).toEqual(["bad", "poor", "fair", "good", "good"]);
  });

  it("never exceeds the session's maximum bitrate", () => {
    expect(recommend({}, { sessionMaxBitrateKbps: 800 }).maxBitrateKbps).toBe(800);
    expect(recommend({ rttMs: 250 }, { sessionMaxBitrateKbps: 800 }).maxBitrateKbps).toBe(800);
    expect(recommend({ rttMs: 450 }, { sessionMaxBitrateKbps: 800 }).maxBitrateKbps).toBe(500);
  });

  it("keeps the ladder ordered: a worse level never sends more", () => {
    const order = ["good", "fair", "poor", "bad"] as const;
    for (let i = 1; i < order.length; i++) {
      const better = LADDER[order[i - 1]!];
      const worse = LADDER[order[i]!];
      expect(worse.maxBitrateKbps).toBeLessThan(better.maxBitrateKbps);
      expect(worse.maxHeight).toBeLessThanOrEqual(better.maxHeight);
      expect(worse.maxFramerate).toBeLessThanOrEqual(better.maxFramerate);
    }
    expect(THRESHOLDS.bad.packetLossPct).toBeGreaterThan(THRESHOLDS.poor.packetLossPct);
    expect(THRESHOLDS.poor.packetLossPct).toBeGreaterThan(THRESHOLDS.fair.packetLossPct);
  });

  it("tells whether a recommendation changed", () => {
    const a = recommend({}, cap);
    expect(sameRecommendation(undefined, a)).toBe(false);
    expect(sameRecommendation(a, recommend({}, cap))).toBe(true);
    expect(sameRecommendation(a, recommend({ rttMs: 900 }, cap))).toBe(false);
  });
});
