import type { Logger } from "pino";
import type { Database } from "../../db/client.js";
import { ignoreEvents, type Publish, type QuestionTally } from "../../lib/domain-events.js";
import { lockAndCountVotes, writeTallies } from "./questions.votes.repository.js";
import { wilsonLowerBound } from "./ranking.js";

export interface QuestionTallies {
  /** A vote on this question committed: its tally is recounted within the next interval. */
  recount(questionId: string): void;
  /** Recounts what is waiting now (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Keeps each question's tallies and `top` score equal to a count over its votes. Votes only insert, update or
 * delete their own row (no hot counter row per vote); the questions voted on are recounted together every
 * `intervalMs`, under row locks taken before counting (see lockAndCountVotes), so several instances recounting
 * the same question write counts that only move forward. Changed tallies are published per session: clients get
 * a few tally messages a second, however many votes arrive.
 */
export function createQuestionTallies(deps: {
  db: Database;
  intervalMs: number;
  logger: Logger;
  publish?: Publish;
}): QuestionTallies {
  const { db, intervalMs, logger, publish = ignoreEvents } = deps;
  const pending = new Set<string>();
  let running: Promise<void> | null = null;

  async function recountPending(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending];
    pending.clear();
    try {
      const written = await db.transaction(async (tx) => {
        const counted = await lockAndCountVotes(tx, batch);
        return writeTallies(
          tx,
          counted.map((tally) => ({ ...tally, score: wilsonLowerBound(tally.upvotes, tally.downvotes) })),
        );
      });
      const bySession = new Map<string, QuestionTally[]>();
      for (const { sessionId, ...tally } of written) {
        bySession.set(sessionId, [...(bySession.get(sessionId) ?? []), tally]);
      }
      for (const [sessionId, tallies] of bySession)
        publish({ type: "questions.tallied", sessionId, tallies });
    } catch (error) {
      // The votes are committed; only their count waits: retry these next round.
      for (const id of batch) pending.add(id);
      logger.warn({ err: error, questions: batch.length }, "vote tallies not recounted; retrying");
    }
  }

  const flush = () => {
    running ??= recountPending().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();

  return {
    recount(questionId) {
      pending.add(questionId);
    },
    async flush() {
      // A recount already running took its batch before the newest votes: run once more for those.
      await flush();
      await flush();
    },
    async close() {
      clearInterval(timer);
      await this.flush();
    },
  };
}
