import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createAttendee, createSession, signIn, type SignedInUser } from "../../../test/helpers/actors.js";
import { touchPresence, type PresenceStatus } from "../attendees/attendees.repository.js";
import type { AttendeeActor } from "../auth/actor.js";
import { createSessionAccess } from "../sessions/session-access.service.js";
import { createQuestions, type QuestionLimits } from "./questions.service.js";

/** The refusal an ask ends with (its AppError), or its question. */
const questions = (
  setup: { questions: ReturnType<typeof createQuestions>; actor: AttendeeActor; sessionId: string },
  text: string,
) => setup.questions.ask(setup.actor, setup.sessionId, { text }).catch((error: unknown) => error);

/**
 * An ask reads the session, decides, then writes: the write happens only if the session is still as read (its
 * status and settings), else the ask is decided again on the new state. The limiter runs between the read and the write, so a
 * limiter that changes the session there stands for anyone else's change landing at that moment.
 */
describe("questions: a session changed while a question is being asked", () => {
  let t: TestApp;
  let host: SignedInUser;
  beforeAll(async () => {
    t = await createTestApp();
    host = await signIn(t.app, t.db.db, "Race Host");
  });
  afterAll(async () => t?.close());

  const setup = async (change: string, allow = true) => {
    const sessionId = await createSession(t.db.db, {
      userId: host.userId,
      workspaceId: host.personalWorkspaceId,
    });
    const attendee = await createAttendee(t.app, t.db.db, sessionId, "Racer");
    let counted = 0;
    const limits: QuestionLimits = {
      async allowQuestion() {
        counted += 1;
        // Someone else's edit commits between this ask's read and its write (the first time only).
        if (counted === 1 && change) await t.db.pool.query(change, [sessionId]);
        return allow;
      },
      refundQuestion: async () => {
        counted -= 1;
      },
      allowVote: async () => true,
    };
    const published: string[] = [];
    const questions = createQuestions({
      db: t.db.db,
      sessionAccess: createSessionAccess({ db: t.db.db }),
      tallies: { recount: () => undefined, flush: async () => undefined, close: async () => undefined },
      limits,
      editWindowMs: 60_000,
      publish: (event) => published.push(event.type),
    });
    const actor: AttendeeActor = {
      kind: "attendee",
      attendeeId: attendee.attendeeId,
      sessionId,
      tokenId: "race-token",
    };
    const stored = async () =>
      (
        await t.db.pool.query<{ questions: number; events: number }>(
          `select (select count(*)::int from questions where session_id = $1) as questions,
             (select count(*)::int from session_events where session_id = $1 and type = 'question.created') as events`,
          [sessionId],
        )
      ).rows[0]!;
    return { questions, actor, sessionId, stored, published, counted: () => counted, t };
  };

  it("refuses the question when Q&A was turned off meanwhile, and stores nothing", async () => {
    const { questions, actor, sessionId, stored, published, counted } = await setup(
      `update sessions set settings = jsonb_set(settings, '{qa}', '{"enabled": false}'), version = version + 1
       where id = $1`,
    );
    await expect(questions.ask(actor, sessionId, { text: "Is this still open?" })).rejects.toMatchObject({
      code: "QA_CLOSED",
    });
    expect(await stored()).toEqual({ questions: 0, events: 0 });
    expect(published).toEqual([]);
    expect(counted()).toBe(1);
  });

  it("holds the question for moderators when pre-moderation was turned on meanwhile", async () => {
    const { questions, actor, sessionId, stored, counted } = await setup(
      `update sessions set settings = jsonb_set(settings, '{qa}', '{"moderation": "pre"}'), version = version + 1
       where id = $1`,
    );
    const question = await questions.ask(actor, sessionId, { text: "Will this be held?" });
    expect(question.status).toBe("pending");
    expect(await stored()).toEqual({ questions: 1, events: 1 });
    // Decided twice, counted against the asker's limit once.
    expect(counted()).toBe(1);
  });

  it("refuses the question when the session ended meanwhile", async () => {
    const { questions, actor, sessionId, stored } = await setup(
      "update sessions set status = 'ended', ended_at = now(), version = version + 1 where id = $1",
    );
    await expect(questions.ask(actor, sessionId, { text: "Anyone still here?" })).rejects.toMatchObject({
      code: "QA_CLOSED",
    });
    expect(await stored()).toEqual({ questions: 0, events: 0 });
  });

  it("answers the limit's refusal before the text's (screened meanwhile), and counts nothing while Q&A is closed", async () => {
    const limited = await setup("", false);
    const first = await questions(limited, "Is the venue accessible by train?");
    expect(first).toMatchObject({ code: "RATE_LIMITED" });
    // An empty text and a copy of a stored question are refused for the limit first, as before.
    await limited.t.db.pool.query(
      `insert into questions (session_id, author_attendee_id, text) values ($1, $2, 'Is the venue accessible by train?')`,
      [limited.sessionId, limited.actor.attendeeId],
    );
    expect(await questions(limited, "Is the venue accessible by train?")).toMatchObject({
      code: "RATE_LIMITED",
    });
    expect(await questions(limited, "   ")).toMatchObject({ code: "RATE_LIMITED" });
    const closed = await setup("", true);
    await closed.t.db.pool.query(
      `update sessions set settings = jsonb_set(settings, '{qa}', '{"enabled": false}'), version = version + 1
       where id = $1`,
      [closed.sessionId],
    );
    expect(await questions(closed, "Is anybody there?")).toMatchObject({ code: "QA_CLOSED" });
    expect(closed.counted()).toBe(0);
  });
  const BAN =
    "update attendees set banned_at = now(), status = 'left', left_at = now() where session_id = $1";

  it("refuses the question of an asker banned between the ask's read and its write, and stores nothing", async () => {
    const { questions, actor, sessionId, stored, published } = await setup(BAN);
    await expect(questions.ask(actor, sessionId, { text: "May I still ask this?" })).rejects.toMatchObject({
      code: "ATTENDEE_TOKEN_REVOKED",
      status: 401,
    });
    expect(await stored()).toEqual({ questions: 0, events: 0 });
    expect(published).toEqual([]);
  });

  it("refuses the question of an asker banned on another instance after this one remembered the session", async () => {
    const s = await setup("");
    await s.questions.ask(s.actor, s.sessionId, { text: "Where are the slides published?" });
    // The ban commits elsewhere; this instance has not heard of it, so the token still passes here.
    await s.t.db.pool.query(BAN, [s.sessionId]);
    await expect(
      s.questions.ask(s.actor, s.sessionId, { text: "Will the recording be online?" }),
    ).rejects.toMatchObject({ code: "ATTENDEE_TOKEN_REVOKED" });
    expect(await s.stored()).toEqual({ questions: 1, events: 1 });
    expect(s.published).toEqual(["question.changed"]);
  });

  it("takes a question while its author's presence change is being written (no lock the ask waits for)", async () => {
    const s = await setup("");
    const { rows } = await s.t.db.pool.query<{ status: PresenceStatus }>(
      "select status from attendees where id = $1",
      [s.actor.attendeeId],
    );
    // Its status written again, unchanged: the attendee's row locked, not yet the session's (no seat moves).
    let locked!: (pid: number) => void;
    let release!: () => void;
    const lockHeld = new Promise<number>((resolve) => (locked = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const presence = s.t.db.db.transaction(async (tx) => {
      await touchPresence(tx, s.actor.attendeeId, rows[0]!.status);
      const backend = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
      locked(backend.rows[0]!.pid);
      await released;
    });
    const holder = await lockHeld;
    // Such a transaction next moves a seat on the session's row, which the ask locks before it checks its author:
    // an ask that waited for the attendee's row here would be half of a deadlock.
    let outcome: { asked: unknown } | { blocked: true } | undefined;
    const asking = questions(s, "Can we borrow a bike to reach the venue?").then((asked) => {
      outcome ??= { asked };
    });
    while (!outcome) {
      const waiting = await s.t.db.pool.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))",
        [holder],
      );
      if (waiting.rows[0]!.n > 0) outcome ??= { blocked: true };
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
    release();
    await presence;
    await asking;
    expect(outcome).toMatchObject({ asked: { text: "Can we borrow a bike to reach the venue?" } });
  });
});
