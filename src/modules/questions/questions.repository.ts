import { count, inArray } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { questions } from "./questions.table.js";

/** How many questions were asked in each of these sessions (one grouped query; sessions without any are absent). */
export async function countQuestions(db: Executor, sessionIds: string[]): Promise<Map<string, number>> {
  if (sessionIds.length === 0) return new Map();
  const rows = await db
    .select({ sessionId: questions.sessionId, asked: count() })
    .from(questions)
    .where(inArray(questions.sessionId, sessionIds))
    .groupBy(questions.sessionId);
  return new Map(rows.map((row) => [row.sessionId, row.asked]));
}
