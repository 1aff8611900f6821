import type { Handler } from "../../realtime/dispatch.js";
import type { Questions } from "./questions.service.js";

/** `question:submit`: the same as POST /api/sessions/:id/questions, for the socket's session. */
export function submitHandler(questions: Pick<Questions, "ask">): Handler<"question:submit"> {
  return (socket, payload) => questions.ask(socket.actor, socket.sessionId, payload);
}

/** `question:vote`: the same as POST /api/questions/:id/vote. */
export function voteHandler(questions: Pick<Questions, "vote">): Handler<"question:vote"> {
  return (socket, payload) => questions.vote(socket.actor, payload.questionId, payload.value);
}
