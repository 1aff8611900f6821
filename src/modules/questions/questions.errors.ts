import { AppError } from "../../lib/errors.js";

/** A question that does not exist, or that the caller may not see: the same answer, so nothing leaks. */
export const questionNotFound = () => new AppError("QUESTION_NOT_FOUND", 404, "Question not found.");

/** Asked by a signed-in user rather than an attendee: there is no attendee to act on. */
export const authorNotAttendee = () =>
  new AppError(
    "AUTHOR_NOT_ATTENDEE",
    409,
    "This question was asked by a signed-in user, not by an attendee: there is no attendee to ban.",
  );
