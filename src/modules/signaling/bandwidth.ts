/**
 * Bandwidth adaptation: from one link's quality figures, the encoding the presenter should send on it. Pure: the
 * signaling service calls it for every link with fresh reports, at each quality summary, and sends the
 * recommendations that changed to the presenter, whose client applies them with `RTCRtpSender.setParameters`
 * (`maxBitrate`, `maxFramerate`, `scaleResolutionDownBy` = track height ÷ `maxHeight`). docs/REALTIME.md has the
 * table.
 *
 * The worst figure decides the level (a link is as good as its weakest measure). Going down is immediate (loss
 * and delay hurt now); going up is one level per evaluation, so a link that recovers climbs back in steps
 * instead of jumping straight back to the bitrate that just failed.
 */

export const QUALITY_LEVELS = ["bad", "poor", "fair", "good"] as const;
export type QualityLevel = (typeof QUALITY_LEVELS)[number];

export interface LinkQuality {
  rttMs?: number;
  jitterMs?: number;
  packetLossPct?: number;
  bitrateKbps?: number;
  fps?: number;
}

export interface Recommendation {
  level: QualityLevel;
  maxBitrateKbps: number;
  maxHeight: number;
  maxFramerate: number;
}

/** A link is at most as good as the first level whose every limit it stays under (checked from "bad" up). */
export const THRESHOLDS: Record<
  Exclude<QualityLevel, "good">,
  { packetLossPct: number; rttMs: number; jitterMs: number }
> = {
  bad: { packetLossPct: 10, rttMs: 800, jitterMs: 100 },
  poor: { packetLossPct: 5, rttMs: 400, jitterMs: 50 },
  fair: { packetLossPct: 2, rttMs: 200, jitterMs: 30 },
};

/** The encoding per level; `good` sends the session's own maximum (media.maxBitrateKbps). */
export const LADDER: Record<QualityLevel, Omit<Recommendation, "level">> = {
  good: { maxBitrateKbps: Number.POSITIVE_INFINITY, maxHeight: 720, maxFramerate: 30 },
  fair: { maxBitrateKbps: 1_200, maxHeight: 540, maxFramerate: 30 },
  poor: { maxBitrateKbps: 500, maxHeight: 360, maxFramerate: 20 },
  bad: { maxBitrateKbps: 150, maxHeight: 180, maxFramerate: 15 },
};

const rank = (level: QualityLevel) => QUALITY_LEVELS.indexOf(level);

/** The level the figures alone call for; figures not reported do not count. */
export function measuredLevel(quality: LinkQuality): QualityLevel {
  const over = (limits: { packetLossPct: number; rttMs: number; jitterMs: number }) =>
    (quality.packetLossPct ?? 0) >= limits.packetLossPct ||
    (quality.rttMs ?? 0) >= limits.rttMs ||
    (quality.jitterMs ?? 0) >= limits.jitterMs;
  if (over(THRESHOLDS.bad)) return "bad";
  if (over(THRESHOLDS.poor)) return "poor";
  if (over(THRESHOLDS.fair)) return "fair";
  return "good";
}

/**
 * The recommendation for one link: its measured level, lowered at once or raised by one level at most from
 * `previous`, with the bitrate capped by the session's maximum.
 */
export function recommend(
  quality: LinkQuality,
  options: { sessionMaxBitrateKbps: number; previous?: QualityLevel },
): Recommendation {
  const measured = measuredLevel(quality);
  const { previous } = options;
  const level =
    previous !== undefined && rank(measured) > rank(previous)
      ? QUALITY_LEVELS[rank(previous) + 1]!
      : measured;
  const step = LADDER[level];
  return {
    level,
    maxBitrateKbps: Math.min(step.maxBitrateKbps, options.sessionMaxBitrateKbps),
    maxHeight: step.maxHeight,
    maxFramerate: step.maxFramerate,
  };
}

export const sameRecommendation = (a: Recommendation | undefined, b: Recommendation): boolean =>
  a !== undefined &&
  a.level === b.level &&
  a.maxBitrateKbps === b.maxBitrateKbps &&
  a.maxHeight === b.maxHeight &&
  a.maxFramerate === b.maxFramerate;
