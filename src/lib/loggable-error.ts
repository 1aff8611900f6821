/**
 * An error as it may be logged: the query parameters a failed SQL statement carries (session tokens, emails,
 * key hashes) and the row values PostgreSQL quotes in `detail` are cut out; the rest (type, message, code,
 * stack, cause) is kept for whoever debugs it.
 */
export function loggableError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 3) return error;
  const source = error as Error & { code?: unknown; detail?: unknown; cause?: unknown };
  const message = redactParams(source.message);
  const safe: Record<string, unknown> = {
    type: source.constructor?.name ?? source.name,
    message,
    stack: source.stack?.replace(source.message, message),
  };
  if (source.code !== undefined) safe.code = source.code;
  if (source.detail !== undefined) safe.detail = "[redacted]";
  if (source.cause !== undefined) safe.cause = loggableError(source.cause, depth + 1);
  return safe;
}

function redactParams(message: string): string {
  const at = message.indexOf("\nparams:");
  return at === -1 ? message : `${message.slice(0, at)}\nparams: [redacted]`;
}
