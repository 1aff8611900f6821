import type { Executor } from "../../db/client.js";
import { countQuestions } from "./questions.repository.js";

/** Questions asked per session, for session lists: every question submitted, whatever became of it. */
export function questionsAsked(db: Executor, sessionIds: string[]): Promise<Map<string, number>> {
  return countQuestions(db, sessionIds);
}
