import { describe, expect, it } from "vitest";
import { createLimitsAhead, type HitAnswer } from "./limits-ahead.js";

/** A shared count that answers only when told to: what was sent, in order, and a way to answer it. */
function gatedCount() {
  const sent: string[] = [];
  const pending: Array<(count: number) => void> = [];
  let total = 0;
  const count =
    (label: string, max: number, until = Number.MAX_SAFE_INTEGER) =>
    (ahead: boolean) => {
      sent.push(ahead ? `${label} (ahead)` : label);
      return new Promise<HitAnswer<boolean>>((resolve) => {
        pending.push(() => {
          // As the Redis script does: a hit admitted ahead is counted whatever the limit says.
          const allowed = ahead || total + 1 <= max;
          if (allowed) total += 1;
          resolve({ value: allowed, count: allowed ? total : max + 1, until });
        });
      });
    };
  const answerAll = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    for (const answer of pending.splice(0)) answer(0);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { sent, count, answerAll, total: () => total };
}

const yes = () => true;

describe("limits ahead", () => {
  it("admits a key's first hit at once, then waits while it is in flight, then goes by what it heard", async () => {
    const limits = createLimitsAhead();
    const shared = gatedCount();

    let first: boolean | undefined;
    void limits.hit("k", 3, shared.count("1", 3), yes).then((value) => (first = value));
    await Promise.resolve();
    expect(first).toBe(true); // answered before the count was even sent
    expect(shared.sent).toEqual([]);

    let second: boolean | undefined;
    void limits.hit("k", 3, shared.count("2", 3), yes).then((value) => (second = value));
    await shared.answerAll();
    // Sent in the order they came, the first marked as admitted ahead; the second waited for its answer.
    expect(shared.sent).toEqual(["1 (ahead)", "2"]);
    expect(second).toBe(true);

    // Heard 2 of 3: room for one more, so it goes ahead; then heard 3 of 3: the next one waits, and is refused.
    expect(await limits.hit("k", 3, shared.count("3", 3), yes)).toBe(true);
    await shared.answerAll();
    let fourth: boolean | undefined;
    void limits.hit("k", 3, shared.count("4", 3), yes).then((value) => (fourth = value));
    await Promise.resolve();
    expect(fourth).toBeUndefined();
    await shared.answerAll();
    expect(fourth).toBe(false);
    expect(shared.sent).toEqual(["1 (ahead)", "2", "3 (ahead)", "4"]);
    expect(shared.total()).toBe(3);
  });

  it("answers a hit admitted ahead with the count it last heard, and forgets it when its time is up", async () => {
    let clock = 1_000;
    const limits = createLimitsAhead({ now: () => clock });
    const shared = gatedCount();
    const admitted = (heard: number | undefined) => (heard ?? 0) + 1;
    const counted = (label: string) => async (ahead: boolean) => {
      const answer = await shared.count(label, 10, clock + 500)(ahead);
      return { ...answer, value: answer.count };
    };

    expect(await limits.hit("k", 10, counted("a"), admitted)).toBe(1);
    await shared.answerAll();
    expect(await limits.hit("k", 10, counted("b"), admitted)).toBe(2);
    await shared.answerAll();
    clock += 500;
    // What it heard is gone: the key is new again, and its hit goes ahead as a first one does.
    expect(await limits.hit("k", 10, counted("c"), admitted)).toBe(1);
    await shared.answerAll();
    expect(shared.total()).toBe(3);
  });

  it("waits for the answer where the key was heard full, and never admits ahead under a limit of 0", async () => {
    const limits = createLimitsAhead();
    const shared = gatedCount();
    expect(await limits.hit("k", 1, shared.count("1", 1), yes)).toBe(true);
    await shared.answerAll();
    const refused = limits.hit("k", 1, shared.count("2", 1), yes);
    await shared.answerAll();
    expect(await refused).toBe(false);
    const none = limits.hit("zero", 0, shared.count("3", 0), yes);
    await shared.answerAll();
    expect(await none).toBe(false);
  });

  it("passes a failed count on when waited for, drops it when admitted ahead, and forgets what it heard", async () => {
    const limits = createLimitsAhead();
    const failing = () => Promise.reject(new Error("redis down"));
    expect(await limits.hit("k", 5, failing, yes)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const second = limits.hit("k", 5, failing, yes);
    // Forgotten, so the key is new: ahead again, the failure swallowed. In flight, the next waits and fails.
    expect(await second).toBe(true);
    await expect(limits.hit("k", 5, failing, yes)).rejects.toThrow("redis down");
  });

  it("hears a hit given back as one lower, sends the refund after the hits before it, and stays bounded", async () => {
    const limits = createLimitsAhead({ maxKeys: 2 });
    const shared = gatedCount();
    expect(await limits.hit("k", 2, shared.count("1", 2), yes)).toBe(true);
    await shared.answerAll();
    expect(await limits.hit("k", 2, shared.count("2", 2), yes)).toBe(true); // heard 1 of 2: ahead
    const refund = limits.giveBack("k", async () => shared.sent.push("refund"));
    await shared.answerAll();
    await refund;
    expect(shared.sent).toEqual(["1 (ahead)", "2 (ahead)", "refund"]);

    for (const key of ["x", "y", "z"]) {
      await limits.hit(key, 2, shared.count(key, 2), yes);
      await shared.answerAll();
    }
    expect(limits.size).toBe(2);
  });
});
