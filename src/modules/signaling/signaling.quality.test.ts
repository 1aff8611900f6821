import { describe, expect, it } from "vitest";
import { createQualityTracker, distribution } from "./signaling.quality.js";

const S = "session-1";
const link = (n: number) => ({ attendeeId: `attendee-${n}`, peerId: `${n}`.padStart(32, "0") });

describe("quality tracker", () => {
  it("computes nearest-rank distributions", () => {
    expect(distribution([])).toBeNull();
    expect(distribution([5])).toEqual({ min: 5, p50: 5, p90: 5, max: 5 });
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(distribution(hundred)).toEqual({ min: 1, p50: 50, p90: 90, max: 100 });
  });

  it("summarises the latest fresh report per attendee, the attendee's figures over the presenter's", () => {
    const q = createQualityTracker({ freshMs: 15_000 });
    q.record(S, link(1), "attendee", { rttMs: 10, packetLossPct: 0 }, 1_000);
    q.record(S, link(1), "attendee", { rttMs: 30, packetLossPct: 0 }, 2_000);
    q.record(S, link(1), "presenter", { rttMs: 99, bitrateKbps: 1_800 }, 2_000);
    q.record(S, link(2), "attendee", { rttMs: 900 }, 2_000);
    q.record(S, link(3), "attendee", { rttMs: 5 }, -20_000); // stale by the time of the summary
    expect(q.takeDirty()).toEqual([S]);
    const { summary, changed } = q.summarize(S, 3_000, 2_500);
    expect(summary).toMatchObject({
      attendees: 2,
      rttMs: { min: 30, max: 900 },
      bitrateKbps: { min: 1_800, max: 1_800 },
      levels: { good: 1, fair: 0, poor: 0, bad: 1 },
    });
    expect(changed.map((c) => [c.attendeeId, c.level])).toEqual([
      ["attendee-1", "good"],
      ["attendee-2", "bad"],
    ]);
    // Nothing changed: no recommendation is sent again.
    expect(q.summarize(S, 3_500, 2_500).changed).toEqual([]);
  });

  it("forgets an attendee that left", () => {
    const q = createQualityTracker({ freshMs: 15_000 });
    q.record(S, link(1), "attendee", { rttMs: 10 }, 0);
    q.takeDirty();
    q.forget(S, "attendee-1");
    expect(q.takeDirty()).toEqual([S]);
    expect(q.summarize(S, 1, 2_500).summary.attendees).toBe(0);
  });

  it("downsamples to one row per attendee, end and minute, keeping the open minute until asked", () => {
    const q = createQualityTracker({ freshMs: 15_000 });
    q.record(S, link(1), "attendee", { rttMs: 10, packetLossPct: 1 }, 60_000);
    q.record(S, link(1), "attendee", { rttMs: 30, packetLossPct: 3, fps: 30 }, 90_000);
    q.record(S, link(1), "attendee", { rttMs: 50 }, 125_000);
    const closed = q.takeMinutes(125_000);
    expect(closed).toEqual([
      {
        sessionId: S,
        attendeeId: "attendee-1",
        reporter: "attendee",
        minute: new Date(60_000),
        reports: 2,
        rttMs: 20,
        rttMaxMs: 30,
        jitterMs: null,
        packetLossPct: 2,
        packetLossMaxPct: 3,
        bitrateKbps: null,
        fps: 30,
      },
    ]);
    const rest = q.takeMinutes();
    expect(rest.map((b) => [b.minute.getTime(), b.reports, b.rttMs])).toEqual([[120_000, 1, 50]]);
    q.restoreMinutes(rest);
    expect(q.takeMinutes()).toEqual(rest);
  });
});
