/**
 * The SQLSTATE of a PostgreSQL error, looked up through `cause` chains (Drizzle wraps the driver's error).
 * Only a server error counts (it carries a severity): a socket error's `code` such as EPIPE is not a SQLSTATE.
 */
export function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth += 1) {
    const { code, severity } = e as { code?: unknown; severity?: unknown };
    if (typeof code === "string" && typeof severity === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
