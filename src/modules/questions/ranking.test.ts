import { describe, expect, it } from "vitest";
import { trendingScore, wilsonLowerBound } from "./ranking.js";

describe("ranking", () => {
  it("scores no votes 0 and all-negative votes 0", () => {
    expect(wilsonLowerBound(0, 0)).toBe(0);
    expect(wilsonLowerBound(0, 12)).toBe(0);
  });

  it("matches the Wilson lower bound's known values", () => {
    // Reference values of the 95 % interval (z = 1.96).
    expect(wilsonLowerBound(1, 0)).toBeCloseTo(0.2065, 4);
    expect(wilsonLowerBound(8, 0)).toBeCloseTo(0.6756, 4);
    expect(wilsonLowerBound(50, 10)).toBeCloseTo(0.7197, 4);
    expect(wilsonLowerBound(5, 5)).toBeCloseTo(0.2366, 4);
  });

  it("prefers confidence to a perfect ratio on few votes", () => {
    expect(wilsonLowerBound(8, 0)).toBeGreaterThan(wilsonLowerBound(1, 0));
    expect(wilsonLowerBound(50, 10)).toBeGreaterThan(wilsonLowerBound(5, 0));
    expect(wilsonLowerBound(100, 1)).toBeGreaterThan(wilsonLowerBound(10, 0));
    // With downvotes off, more votes always rank higher.
    for (let n = 1; n < 200; n += 1)
      expect(wilsonLowerBound(n + 1, 0)).toBeGreaterThan(wilsonLowerBound(n, 0));
  });

  it("lets fresh votes outrank old ones in trending, and decays with age", () => {
    expect(trendingScore(10, 0, 0)).toBeGreaterThan(trendingScore(10, 0, 5));
    expect(trendingScore(5, 0, 0.1)).toBeGreaterThan(trendingScore(20, 0, 12));
    expect(trendingScore(10, 0, 0)).toBeCloseTo(10 / Math.pow(2, 1.5), 10);
    expect(trendingScore(3, 5, 1)).toBeLessThan(0);
    expect(trendingScore(4, 0, -1)).toBe(trendingScore(4, 0, 0));
  });
});
