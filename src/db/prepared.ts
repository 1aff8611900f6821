import { createHash } from "node:crypto";

/** A drizzle query that can be prepared: selects, inserts, updates and deletes. */
interface Preparable<R> {
  toSQL(): { sql: string };
  prepare(name: string): { execute(): Promise<R> };
}

/**
 * Runs a drizzle query as a named statement, named after its text: PostgreSQL parses and plans each distinct text
 * once per connection instead of once per call (measured on the vote: 2.47x → 1.49x of a bare pg burst). The
 * values stay parameters, so a statement's name depends only on its shape. Only for hot paths whose queries
 * take a bounded number of shapes: each shape stays prepared on every connection of the pool.
 */
export function runPrepared<R>(query: Preparable<R>): Promise<R> {
  const name = `p_${createHash("sha1").update(query.toSQL().sql).digest("base64url").slice(0, 24)}`;
  return query.prepare(name).execute();
}
