/**
 * The baseline of the Q&A list benchmark: bare Fastify 5 (no logger, hooks, schemas or auth) with a `pg` Pool of
 * Podium's size, answering `GET /api/sessions/:id/questions?sort=&status=open&limit=` with one statement, the
 * query Podium's listQuestions builds (same WHERE, ORDER BY, LIMIT n + 1, the viewer's vote as a subquery), rows
 * mapped to the same item shape and the same cursor format. The viewer is the attendee id in the `x-bench-attendee`
 * header, trusted. Run as a child process by qa-bench.ts:
 * `DATABASE_URL=… PORT=… POOL_MAX=… node --import tsx bench/bare-qa.ts`; prints `bare-qa ready <url>` once it
 * listens; exits 0 on SIGTERM/SIGINT after closing. `GET /` → {"hello":"world"} primes connections.
 */
import Fastify from "fastify";
import pg from "pg";
import { LIST_COLUMNS, listStatement, type ListSort } from "./qa-seed.js";

const port = Number(process.env.PORT ?? "3003");
const host = process.env.HOST ?? "127.0.0.1";
const poolMax = Number(process.env.POOL_MAX ?? "10");
const url = process.env.DATABASE_URL;
if (!url || !Number.isInteger(port) || !Number.isInteger(poolMax) || poolMax < 1) {
  console.error("bare-qa: needs DATABASE_URL, PORT (0–65535) and POOL_MAX (≥ 1)");
  process.exit(78);
}

// Podium's pool settings (src/db/client.ts defaults: 3 s to connect, 5 s statement timeout).
const pool = new pg.Pool({
  connectionString: url,
  max: poolMax,
  connectionTimeoutMillis: 3_000,
  statement_timeout: 5_000,
  idleTimeoutMillis: 30_000,
  application_name: "bare-qa",
});
pool.on("error", () => undefined);

/** A row as an array (drizzle's rowMode): LIST_COLUMNS, then author name, sort key text, the viewer's vote. */
type Row = unknown[];
const at = Object.fromEntries(LIST_COLUMNS.map((c, i) => [c, i])) as Record<
  (typeof LIST_COLUMNS)[number],
  number
>;
const AUTHOR_NAME = LIST_COLUMNS.length;
const SORT_KEY = LIST_COLUMNS.length + 1;
const MY_VOTE = LIST_COLUMNS.length + 2;
const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : null);

const app = Fastify({ logger: false });
app.get("/", async () => ({ hello: "world" }));

app.get("/api/sessions/:id/questions", async (request, reply) => {
  const viewer = request.headers["x-bench-attendee"];
  const { id } = request.params as { id: string };
  const query = request.query as { sort?: string; status?: string; limit?: string };
  const sort = (query.sort ?? "top") as ListSort;
  const limit = Number(query.limit ?? "50");
  if (
    typeof viewer !== "string" ||
    !["top", "new", "trending"].includes(sort) ||
    (query.status ?? "open") !== "open" ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > 200
  )
    return reply.code(400).send({ code: "BAD_REQUEST" });
  const asOf = new Date();
  const { rows } = await pool.query<Row>({
    ...listStatement(sort, id, viewer, limit, asOf),
    rowMode: "array",
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row[at.id],
      sessionId: row[at.session_id],
      text: row[at.text],
      authorName: row[at.anonymous] ? null : row[AUTHOR_NAME],
      anonymous: row[at.anonymous],
      status: row[at.status],
      pinned: row[at.pinned],
      answered: row[at.answered],
      answeredAt: iso(row[at.answered_at]),
      upvotes: row[at.upvotes],
      downvotes: row[at.downvotes],
      score: row[at.score],
      version: row[at.version],
      createdAt: iso(row[at.created_at]),
      editedAt: iso(row[at.edited_at]),
      mine: row[at.author_attendee_id] === viewer,
      myVote: row[MY_VOTE],
    })),
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(
            JSON.stringify([sort, asOf.getTime(), last[at.pinned], last[SORT_KEY], last[at.id]]),
          ).toString("base64url")
        : null,
  };
});

const listening = await app.listen({ host, port });
console.log(`bare-qa ready ${listening}`);

const stop = () => {
  app
    .close()
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
