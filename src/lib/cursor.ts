import { AppError } from "./errors.js";

/**
 * Keyset pagination cursors: the last item's timestamp as PostgreSQL prints it (microseconds kept, so no row
 * is skipped or repeated at a millisecond boundary) and its id, opaque to clients.
 */
export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString("base64url");
}

const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cursor's parts, or a 400 naming `querystring.cursor` for anything this API did not hand out. */
export function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof at === "string" && PG_TIMESTAMP.test(at) && typeof id === "string" && UUID.test(id)) {
      return { at, id };
    }
  } catch {
    // refused below
  }
  throw badCursor();
}

/** The 400 for a cursor this API did not hand out (or one from another listing). */
export function badCursor(): AppError {
  return new AppError("VALIDATION_FAILED", 400, "The request is not valid; see `errors`.", {
    errors: [{ path: "querystring.cursor", message: "not a cursor this API returned" }],
  });
}

export const UUID_PATTERN = UUID;
