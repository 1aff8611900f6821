import { recommend, sameRecommendation, QUALITY_LEVELS, type QualityLevel } from "./bandwidth.js";
import type { QualityBucket } from "./signaling.repository.js";
import type { Distribution, LinkRecommendation, QualitySummary, StatsReport } from "./signaling.schemas.js";

type Reporter = "attendee" | "presenter";
const METRICS = ["rttMs", "jitterMs", "packetLossPct", "bitrateKbps", "fps"] as const;
type Metric = (typeof METRICS)[number];

interface LinkEntry {
  peerId: string;
  reports: Partial<Record<Reporter, { report: StatsReport; atMs: number }>>;
  recommendation?: LinkRecommendation;
}

interface Accumulator {
  bucket: Omit<QualityBucket, Metric | "rttMaxMs" | "packetLossMaxPct" | "reports">;
  reports: number;
  sums: Record<Metric, number>;
  counts: Record<Metric, number>;
  rttMax: number | null;
  lossMax: number | null;
}

const MINUTE_MS = 60_000;

/** Nearest-rank percentiles of the values (null when there are none). */
export function distribution(values: number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    min: round(sorted[0]!),
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    max: round(sorted.at(-1)!),
  };
}

/**
 * Quality reports in memory: the latest per link and end (for the live summary and the bandwidth rules) and
 * per-minute sums (for media_quality_minutes). No timers and no I/O: the service drives it.
 */
export function createQualityTracker(options: { freshMs: number }) {
  const sessions = new Map<string, Map<string, LinkEntry>>();
  const minutes = new Map<string, Accumulator>();
  const dirty = new Set<string>();

  function accumulate(
    sessionId: string,
    attendeeId: string,
    reporter: Reporter,
    report: StatsReport,
    nowMs: number,
  ) {
    const minute = new Date(Math.floor(nowMs / MINUTE_MS) * MINUTE_MS);
    const key = `${sessionId}|${attendeeId}|${reporter}|${minute.getTime()}`;
    let acc = minutes.get(key);
    if (!acc) {
      acc = {
        bucket: { sessionId, attendeeId, reporter, minute },
        reports: 0,
        sums: { rttMs: 0, jitterMs: 0, packetLossPct: 0, bitrateKbps: 0, fps: 0 },
        counts: { rttMs: 0, jitterMs: 0, packetLossPct: 0, bitrateKbps: 0, fps: 0 },
        rttMax: null,
        lossMax: null,
      };
      minutes.set(key, acc);
    }
    acc.reports += 1;
    for (const metric of METRICS) {
      const value = report[metric];
      if (value === undefined) continue;
      acc.sums[metric] += value;
      acc.counts[metric] += 1;
    }
    if (report.rttMs !== undefined) acc.rttMax = Math.max(acc.rttMax ?? 0, report.rttMs);
    if (report.packetLossPct !== undefined) acc.lossMax = Math.max(acc.lossMax ?? 0, report.packetLossPct);
  }

  return {
    record(
      sessionId: string,
      link: { attendeeId: string; peerId: string },
      reporter: Reporter,
      report: StatsReport,
      nowMs: number,
    ): void {
      let links = sessions.get(sessionId);
      if (!links) sessions.set(sessionId, (links = new Map()));
      let entry = links.get(link.attendeeId);
      if (!entry) links.set(link.attendeeId, (entry = { peerId: link.peerId, reports: {} }));
      entry.reports[reporter] = { report, atMs: nowMs };
      accumulate(sessionId, link.attendeeId, reporter, report, nowMs);
      dirty.add(sessionId);
    },

    /** The attendee left: its link no longer counts in the summary (its minutes are still saved). */
    forget(sessionId: string, attendeeId: string): void {
      const links = sessions.get(sessionId);
      if (links?.delete(attendeeId)) dirty.add(sessionId);
      if (links?.size === 0) sessions.delete(sessionId);
    },

    /** Sessions with reports (or departures) since the last call. */
    takeDirty(): string[] {
      const ids = [...dirty];
      dirty.clear();
      return ids;
    },

    /**
     * The session's distribution over attendees with a fresh report (an attendee's own figures, completed by the
     * presenter's for the same link), and the links whose recommended encoding changed.
     */
    summarize(
      sessionId: string,
      nowMs: number,
      sessionMaxBitrateKbps: number,
    ): { summary: QualitySummary; changed: LinkRecommendation[] } {
      const values: Record<Metric, number[]> = {
        rttMs: [],
        jitterMs: [],
        packetLossPct: [],
        bitrateKbps: [],
        fps: [],
      };
      const levels = Object.fromEntries(QUALITY_LEVELS.map((l) => [l, 0])) as Record<QualityLevel, number>;
      const changed: LinkRecommendation[] = [];
      let attendees = 0;
      for (const [attendeeId, entry] of sessions.get(sessionId) ?? []) {
        const fresh = (reporter: Reporter) => {
          const r = entry.reports[reporter];
          return r && nowMs - r.atMs <= options.freshMs ? r.report : undefined;
        };
        const fromAttendee = fresh("attendee");
        const fromPresenter = fresh("presenter");
        if (!fromAttendee && !fromPresenter) continue;
        attendees += 1;
        const merged: StatsReport = { ...fromPresenter, ...fromAttendee };
        for (const metric of METRICS) {
          const value = merged[metric];
          if (value !== undefined) values[metric].push(value);
        }
        const next: LinkRecommendation = {
          ...recommend(merged, { sessionMaxBitrateKbps, previous: entry.recommendation?.level }),
          peerId: entry.peerId,
          attendeeId,
        };
        levels[next.level] += 1;
        if (!sameRecommendation(entry.recommendation, next)) changed.push(next);
        entry.recommendation = next;
      }
      return {
        summary: {
          sessionId,
          attendees,
          rttMs: distribution(values.rttMs),
          jitterMs: distribution(values.jitterMs),
          packetLossPct: distribution(values.packetLossPct),
          bitrateKbps: distribution(values.bitrateKbps),
          fps: distribution(values.fps),
          levels,
          at: new Date(nowMs).toISOString(),
        },
        changed,
      };
    },

    /** Minutes that ended before `beforeMs` (all of them when omitted), removed from memory, as table rows. */
    takeMinutes(beforeMs?: number): QualityBucket[] {
      const out: QualityBucket[] = [];
      for (const [key, acc] of minutes) {
        if (beforeMs !== undefined && acc.bucket.minute.getTime() + MINUTE_MS > beforeMs) continue;
        minutes.delete(key);
        const mean = (metric: Metric) => (acc.counts[metric] ? acc.sums[metric] / acc.counts[metric] : null);
        out.push({
          ...acc.bucket,
          reports: acc.reports,
          rttMs: mean("rttMs"),
          rttMaxMs: acc.rttMax,
          jitterMs: mean("jitterMs"),
          packetLossPct: mean("packetLossPct"),
          packetLossMaxPct: acc.lossMax,
          bitrateKbps: mean("bitrateKbps"),
          fps: mean("fps"),
        });
      }
      return out;
    },

    /** Puts minutes back after a failed save, to be tried again. */
    restoreMinutes(buckets: QualityBucket[]): void {
      for (const b of buckets) {
        const key = `${b.sessionId}|${b.attendeeId}|${b.reporter}|${b.minute.getTime()}`;
        if (minutes.has(key)) continue; // a newer partial minute: keep it, the old one is lost (logged)
        const count = (v: number | null) => (v === null ? 0 : b.reports);
        const sum = (v: number | null) => (v === null ? 0 : v * b.reports);
        minutes.set(key, {
          bucket: {
            sessionId: b.sessionId,
            attendeeId: b.attendeeId,
            reporter: b.reporter,
            minute: b.minute,
          },
          reports: b.reports,
          sums: {
            rttMs: sum(b.rttMs),
            jitterMs: sum(b.jitterMs),
            packetLossPct: sum(b.packetLossPct),
            bitrateKbps: sum(b.bitrateKbps),
            fps: sum(b.fps),
          },
          counts: {
            rttMs: count(b.rttMs),
            jitterMs: count(b.jitterMs),
            packetLossPct: count(b.packetLossPct),
            bitrateKbps: count(b.bitrateKbps),
            fps: count(b.fps),
          },
          rttMax: b.rttMaxMs,
          lossMax: b.packetLossMaxPct,
        });
      }
    },
  };
}

export type QualityTracker = ReturnType<typeof createQualityTracker>;
