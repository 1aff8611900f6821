/**
 * What one instance last heard of counts kept elsewhere (Redis, shared by every instance), so that a hit can be
 * admitted before the shared count answers when what was heard leaves room: the request then does not wait for a
 * round trip. The count stays exact: the hit is still sent, and counted as admitted even where the count alone
 * would have refused it (the limit then holds it against the next ones).
 *
 * A hit is admitted ahead only while no other hit of its key is in flight from this instance, and only when this
 * instance has heard nothing of the key yet or last heard that one more fits. So it admits at most one hit of a
 * key that the shared count would have refused before it hears of it: across N instances, a limit is exceeded by
 * at most N hits at once (another instance spent the room first), and every one of them is counted. A hit that
 * finds a key full, or another hit of it in flight, waits for the count's answer as always.
 */
export interface LimitsAhead {
  /**
   * Counts one hit of `key` under a limit of `max`: `count` sends it to the shared count (told whether it was
   * admitted ahead, so that the count takes it whatever the limit says). Resolves with what the
   * count answered or, for a hit admitted ahead, at once with `admitted(the count last heard)`. A count that fails
   * is passed on when waited for, and dropped when the hit was admitted ahead (as a limit failing open would).
   */
  hit<T>(
    key: string,
    max: number,
    count: (ahead: boolean) => Promise<HitAnswer<T>>,
    admitted: AdmittedAhead<T>,
  ): Promise<T>;
  /** Sends a request to the shared count that must not overtake hits waiting to be sent (a read, a refund). */
  inOrder<T>(request: () => Promise<T>): Promise<T>;
  /** Gives one hit of `key` back (`send` tells the shared count, in order with the hits): heard as one lower. */
  giveBack(key: string, send: () => Promise<unknown>): Promise<void>;
  /** Keys held (a count heard, or a hit in flight): bounded by `maxKeys`. */
  readonly size: number;
}

export interface HitAnswer<T> {
  value: T;
  /** Hits the shared count holds for the key, this one included. */
  count: number;
  /** Until when that is worth knowing (ms on this instance's clock): a count heard is forgotten then. */
  until: number;
}

export type AdmittedAhead<T> = (heard: number | undefined) => T;

interface Heard {
  count: number | undefined;
  until: number;
  inFlight: number;
}

export function createLimitsAhead(options: { maxKeys?: number; now?: () => number } = {}): LimitsAhead {
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  const keys = new Map<string, Heard>();
  let deferred: (() => void)[] | undefined;

  // Past maxKeys, the oldest keys with nothing in flight are forgotten first (a Map iterates in insertion
  // order): a forgotten key is only a key not heard of, whose next hit may be admitted ahead once.
  function evictOverflow() {
    for (const [key, heard] of keys) {
      if (keys.size <= maxKeys) return;
      if (heard.inFlight === 0) keys.delete(key);
    }
  }

  function heardOf(key: string): Heard | undefined {
    const heard = keys.get(key);
    if (heard && heard.inFlight === 0 && heard.until <= now()) {
      keys.delete(key);
      return undefined;
    }
    return heard;
  }

  /**
   * Whether a hit may be admitted now, and the count last heard (what a hit admitted ahead answers with); either
   * way the hit is in flight until it is settled or dropped.
   */
  function begin(key: string, max: number): { ahead: boolean; last: number | undefined } {
    const heard = heardOf(key);
    if (!heard) {
      keys.set(key, { count: undefined, until: 0, inFlight: 1 });
      evictOverflow();
      return { ahead: max >= 1, last: undefined };
    }
    const ahead = heard.inFlight === 0 && (heard.count === undefined || heard.count + 1 <= max);
    heard.inFlight += 1;
    return { ahead, last: heard.count };
  }

  function settle(key: string, count: number, until: number) {
    const heard = keys.get(key);
    if (!heard) return;
    heard.inFlight = Math.max(0, heard.inFlight - 1);
    heard.count = count;
    heard.until = until;
  }

  function drop(key: string) {
    const heard = keys.get(key);
    if (!heard) return;
    heard.inFlight = Math.max(0, heard.inFlight - 1);
    heard.count = undefined;
    if (heard.inFlight === 0) keys.delete(key);
  }

  /**
   * A count waited for goes at once; one for a hit admitted ahead, once this turn of the event loop is done: the
   * request goes on to its own work first (a loopback write that wakes Redis takes the thread up to 0.3 ms on a
   * small machine). While one waits, every count joins it, so the shared count sees hits in the order they came.
   */
  function send<T>(count: () => Promise<T>, ahead: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => void count().then(resolve, reject);
      if (deferred) deferred.push(run);
      else if (!ahead) run();
      else {
        const runs = [run];
        deferred = runs;
        setImmediate(() => {
          deferred = undefined;
          for (const next of runs) next();
        });
      }
    });
  }

  return {
    hit(key, max, count, admitted) {
      const { ahead, last } = begin(key, max);
      const answered = send(() => count(ahead), ahead).then(
        (answer) => {
          settle(key, answer.count, answer.until);
          return answer.value;
        },
        (error: unknown) => {
          drop(key);
          throw error;
        },
      );
      if (!ahead) return answered;
      answered.catch(() => undefined);
      return Promise.resolve(admitted(last));
    },
    inOrder: (request) => send(request, false),
    async giveBack(key, given) {
      const heard = keys.get(key);
      if (heard?.count !== undefined) heard.count = Math.max(0, heard.count - 1);
      await send(given, false);
    },
    get size() {
      return keys.size;
    },
  };
}
