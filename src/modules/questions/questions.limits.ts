import type { Redis } from "ioredis";
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";
import type { QuestionLimits } from "./questions.service.js";

/**
 * Per-attendee limits on asking and voting, whatever the transport (HTTP or socket) and the instance: counted
 * in Redis when there is one (in memory while it is unreachable), in memory otherwise.
 */
export function createQuestionLimits(options: {
  questionsPerMinute: number;
  votesPerMinute: number;
  redis: Redis | undefined;
}): QuestionLimits {
  const limiter = (keyPrefix: string, points: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration: 60 });
    return options.redis
      ? new RateLimiterRedis({
          storeClient: options.redis,
          keyPrefix: `podium:rl:${keyPrefix}`,
          points,
          duration: 60,
          insuranceLimiter: memory,
        })
      : memory;
  };
  const questions = limiter("qa-ask", options.questionsPerMinute);
  const votes = limiter("qa-vote", options.votesPerMinute);
  const allow = async (limit: RateLimiterAbstract, key: string) => {
    try {
      await limit.consume(key);
      return true;
    } catch (error) {
      if (error instanceof RateLimiterRes) return false;
      throw error;
    }
  };
  return {
    allowQuestion: (attendeeId) => allow(questions, attendeeId),
    refundQuestion: async (attendeeId) => {
      await questions.reward(attendeeId, 1);
    },
    allowVote: (attendeeId) => allow(votes, attendeeId),
  };
}
