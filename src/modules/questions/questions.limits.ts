import type { Redis } from "ioredis";
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";
import { createLimitsAhead } from "../../lib/limits-ahead.js";
import type { QuestionLimits } from "./questions.service.js";

/**
 * Per-attendee limits on asking and voting, whatever the transport (HTTP or socket) and the instance: counted
 * in Redis when there is one (in memory while it is unreachable), in memory otherwise. With Redis, an ask or a
 * vote that what this instance last heard of the attendee leaves room for is allowed before Redis answers
 * (`LimitsAhead`: still counted, at most one at a time per attendee and instance).
 */
export function createQuestionLimits(options: {
  questionsPerMinute: number;
  votesPerMinute: number;
  redis: Redis | undefined;
}): QuestionLimits {
  const { redis } = options;
  const heard = redis ? createLimitsAhead() : undefined;
  const limiter = (keyPrefix: string, points: number) => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration: 60 });
    const limit: RateLimiterAbstract = redis
      ? new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `podium:rl:${keyPrefix}`,
          points,
          duration: 60,
          insuranceLimiter: memory,
        })
      : memory;
    return { limit, points, scope: keyPrefix };
  };
  type Limiter = ReturnType<typeof limiter>;
  const questions = limiter("qa-ask", options.questionsPerMinute);
  const votes = limiter("qa-vote", options.votesPerMinute);

  // Refused hits are counted too (rate-limiter-flexible counts every consume): what was heard is the count.
  const consume = (limit: RateLimiterAbstract, key: string) =>
    limit.consume(key).then(
      (res) => ({ allowed: true, res }),
      (error: unknown) => {
        if (error instanceof RateLimiterRes) return { allowed: false, res: error };
        throw error;
      },
    );
  const allow = async ({ limit, points, scope }: Limiter, key: string): Promise<boolean> => {
    if (!heard) return (await consume(limit, key)).allowed;
    return heard.hit(
      `${scope}:${key}`,
      points,
      async () => {
        const { allowed, res } = await consume(limit, key);
        return { value: allowed, count: res.consumedPoints, until: Date.now() + res.msBeforeNext };
      },
      () => true,
    );
  };
  return {
    allowQuestion: (attendeeId) => allow(questions, attendeeId),
    refundQuestion: async (attendeeId) => {
      const given = () => questions.limit.reward(attendeeId, 1);
      if (heard) await heard.giveBack(`${questions.scope}:${attendeeId}`, given);
      else await given();
    },
    allowVote: (attendeeId) => allow(votes, attendeeId),
  };
}
