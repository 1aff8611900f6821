/**
 * The one error type services throw. Routes and socket handlers never build error responses themselves:
 * the error handler renders an AppError as RFC 9457 problem+json, the real-time layer as `{error: {code, message}}`.
 */
export interface FieldError {
  /** Where the bad value is, e.g. `body.title` or `query.limit`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    /** Stable, machine-readable, SCREAMING_SNAKE_CASE: clients branch on it. */
    readonly code: string,
    /** The HTTP status it maps to. */
    readonly status: number,
    /** A human explanation of this occurrence; sent to the client, so never secrets or internals. */
    readonly detail: string,
    readonly extras: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      /** RFC 9457 extension members: what a client needs to act on this error (e.g. the existing question's id). */
      members?: Record<string, string | number | boolean | null>;
    } = {},
  ) {
    super(detail);
    this.name = "AppError";
  }
}
