/**
 * How questions are ranked (docs/API.md, "Ranking"). Pinned questions always come first; then:
 *
 * - `top`: the lower bound of the Wilson score interval (95 %) for the share of positive votes. It is
 *   confidence-aware: 8 up and 0 down (0.68) ranks above 1 up and 0 down (0.21), and 50 up / 10 down (0.72)
 *   above 5 up / 0 down (0.57). With downvotes off every vote is positive and the bound grows with the count.
 *   Stored on the question (`score`) when its tallies change, so `top` is an index scan.
 * - `new`: creation time, newest first.
 * - `trending`: net votes with time decay, (up − down) / (age in hours + 2)^1.5, computed at the moment the list
 *   is read (carried in the cursor so that pages of one listing agree).
 */

const Z = 1.959963984540054; // two-sided 95 %

export function wilsonLowerBound(upvotes: number, downvotes: number): number {
  const n = upvotes + downvotes;
  if (n <= 0 || upvotes <= 0) return 0;
  const p = upvotes / n;
  const z2 = Z * Z;
  const centre = p + z2 / (2 * n);
  const margin = Z * Math.sqrt((p * (1 - p) + z2 / (4 * n)) / n);
  return Math.max(0, (centre - margin) / (1 + z2 / n));
}

export const TRENDING_GRAVITY = 1.5;
export const TRENDING_OFFSET_HOURS = 2;

export function trendingScore(upvotes: number, downvotes: number, ageHours: number): number {
  return (upvotes - downvotes) / Math.pow(Math.max(0, ageHours) + TRENDING_OFFSET_HOURS, TRENDING_GRAVITY);
}
