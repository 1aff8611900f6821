/**
 * Whether an error means "could not reach the other side" (refused, reset, timed out, DNS, server going
 * away), as opposed to a bug or a bad request. Walks `cause` chains, where drivers wrap socket errors.
 */
const ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
/** PostgreSQL conditions of an unavailable server: shutting down, starting, too many connections, connection failures. */
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "08000", "08001", "08003", "08006"]);
const MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Connection is closed|Stream isn't writeable|connect E/i;

export function isConnectionError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth += 1) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && (ERRNOS.has(code) || SQLSTATES.has(code))) return true;
    if (typeof message === "string" && MESSAGES.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
