/**
 * The baseline of the sessions benchmark: bare Fastify 5 (no logger, no hooks, no schemas, no auth) with a
 * `pg` Pool of Podium's size, answering the same requests with the smallest equivalent SQL. Run as a child
 * process by sessions-bench.ts: `DATABASE_URL=… PORT=… POOL_MAX=… node --import tsx bench/bare-sessions.ts`.
 * Prints one `bare-sessions ready <url>` line once it listens; exits 0 on SIGTERM/SIGINT after closing.
 *
 *   GET  /                             → {"hello":"world"} (connection priming)
 *   GET  /api/sessions?limit&cursor    → the page of the user named by the `x-bench-user` header (trusted: no
 *                                        credential check): Podium's keyset query (same WHERE, ORDER BY, LIMIT
 *                                        n + 1), rows mapped to camelCase; summary = the row's counters only
 *                                        (no questions count); the same cursor format as Podium's.
 *   POST /api/attendee/join/:sessionId → one statement on the baseline's own copies of the tables (schema
 *                                        podium_bench_baseline, no trigger): a conditional seat on the session
 *                                        row and the attendee insert; 201 with the attendee, or 409
 *                                        {"code":"SESSION_FULL"}. No event log row, no token, no pre-read.
 */
import Fastify from "fastify";
import pg from "pg";
import { BASELINE_SCHEMA, LIST_SQL } from "./sessions-seed.js";

const port = Number(process.env.PORT ?? "3002");
const host = process.env.HOST ?? "127.0.0.1";
const poolMax = Number(process.env.POOL_MAX ?? "10");
const connectTimeoutMs = Number(process.env.POOL_CONNECT_TIMEOUT_MS ?? "3000");
const statementTimeoutMs = Number(process.env.POOL_STATEMENT_TIMEOUT_MS ?? "5000");
const url = process.env.DATABASE_URL;
if (!url || !Number.isInteger(port) || !Number.isInteger(poolMax) || poolMax < 1) {
  console.error("bare-sessions: needs DATABASE_URL, PORT (0–65535) and POOL_MAX (≥ 1)");
  process.exit(78);
}

const pool = new pg.Pool({
  connectionString: url,
  max: poolMax,
  connectionTimeoutMillis: connectTimeoutMs,
  statement_timeout: statementTimeoutMs,
  idleTimeoutMillis: 30_000,
  application_name: "bare-sessions",
});
pool.on("error", () => undefined);

const app = Fastify({ logger: false });
app.get("/", async () => ({ hello: "world" }));

const LIST_FIRST = LIST_SQL(false);
const LIST_AFTER = LIST_SQL(true);

interface SessionRow {
  id: string;
  workspace_id: string;
  owner_id: string;
  title: string;
  description: string | null;
  status: string;
  join_code: string;
  capacity: number;
  attendees_present: number;
  attendees_peak: number;
  settings: unknown;
  scheduled_at: Date | null;
  started_at: Date | null;
  ended_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  cursor_at: string;
  questions: number;
}

app.get("/api/sessions", async (request, reply) => {
  const user = request.headers["x-bench-user"];
  const query = request.query as { limit?: string; cursor?: string };
  const limit = Number(query.limit ?? "20");
  if (typeof user !== "string" || !Number.isInteger(limit) || limit < 1 || limit > 100)
    return reply.code(400).send({ code: "BAD_REQUEST" });
  let rows: SessionRow[];
  if (query.cursor) {
    const [at, id] = JSON.parse(Buffer.from(query.cursor, "base64url").toString("utf8")) as [string, string];
    rows = (await pool.query<SessionRow>(LIST_AFTER, [user, limit + 1, at, id])).rows;
  } else {
    rows = (await pool.query<SessionRow>(LIST_FIRST, [user, limit + 1])).rows;
  }
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.id,
      workspaceId: row.workspace_id,
      ownerId: row.owner_id,
      title: row.title,
      description: row.description,
      status: row.status,
      joinCode: row.join_code,
      capacity: row.capacity,
      settings: row.settings,
      scheduledAt: row.scheduled_at,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      summary: {
        attendeesNow: row.attendees_present,
        peakAttendees: row.attendees_peak,
        questions: row.questions,
      },
    })),
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(JSON.stringify([last.cursor_at, last.id])).toString("base64url")
        : null,
  };
});

const SEAT = `
  with seat as (
    update ${BASELINE_SCHEMA}.sessions
    set attendees_present = attendees_present + 1,
        attendees_peak = greatest(attendees_peak, attendees_present + 1)
    where id = $1 and attendees_present < capacity and status in ('scheduled', 'live')
    returning id
  )
  insert into ${BASELINE_SCHEMA}.attendees (session_id, display_name)
  select id, $2 from seat
  returning id, display_name, peer_id`;

app.post("/api/attendee/join/:sessionId", async (request, reply) => {
  const { sessionId } = request.params as { sessionId: string };
  const name = (request.body as { name?: unknown } | null)?.name;
  if (typeof name !== "string" || name.trim() === "") return reply.code(400).send({ code: "BAD_REQUEST" });
  const { rows } = await pool.query<{ id: string; display_name: string; peer_id: string }>(SEAT, [
    sessionId,
    name.trim(),
  ]);
  const row = rows[0];
  if (!row) return reply.code(409).send({ code: "SESSION_FULL" });
  return reply.code(201).send({
    attendee: { id: row.id, displayName: row.display_name, peerId: row.peer_id, status: "connected" },
    session: { id: sessionId },
  });
});

const listening = await app.listen({ host, port });
console.log(`bare-sessions ready ${listening}`);

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
