import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { signIn, trustedOrigin } from "../../../test/helpers/actors.js";
import { createTestDatabase } from "../../../test/helpers/database.js";
import { rawRequest } from "../../../test/helpers/raw-http.js";
import { createRedis } from "../../db/redis.js";
import type { UserActor } from "./actor.js";
import { createSessionCache } from "./session-cache.js";

const actor: UserActor = { kind: "user", userId: "u", role: "presenter", authSessionId: "s", via: "bearer" };

describe("session cache", () => {
  it("serves an entry only under the generation it was read in, and only until its time", () => {
    let clock = 1_000_000;
    const cache = createSessionCache({ ttlMs: 5_000, now: () => clock });
    cache.set("t", actor, "7", new Date(clock + 60_000));
    expect(cache.get("t", "7")).toBe(actor);
    expect(cache.get("t", "8")).toBeUndefined();
    // Dropped once refused: the same generation does not bring it back.
    expect(cache.get("t", "7")).toBeUndefined();
    cache.set("t", actor, "8", new Date(clock + 60_000));
    clock += 5_000;
    expect(cache.get("t", "8")).toBeUndefined();
  });

  it("peeks at whom a token was read as, whatever the generation, without serving or dropping it", () => {
    const cache = createSessionCache({ ttlMs: 60_000 });
    expect(cache.peek("t")).toBeUndefined();
    cache.set("t", actor, "1", new Date(Date.now() + 60_000));
    expect(cache.peek("t")).toBe(actor);
    // A guess only: the entry still answers under its own generation alone.
    expect(cache.get("t", "1")).toBe(actor);
    expect(cache.get("t", "2")).toBeUndefined();
    expect(cache.peek("t")).toBeUndefined();
  });

  it("never outlives the session it caches, keeps nothing with ttl 0, and stays bounded", () => {
    const clock = 1_000_000;
    const cache = createSessionCache({ ttlMs: 60_000, maxEntries: 2, now: () => clock });
    cache.set("short", actor, "1", new Date(clock - 1));
    expect(cache.get("short", "1")).toBeUndefined();
    for (const token of ["a", "b", "c"]) cache.set(token, actor, "1", new Date(clock + 60_000));
    expect(cache.size).toBe(2);
    expect(cache.get("a", "1")).toBeUndefined();
    expect(cache.get("c", "1")).toBe(actor);
    const off = createSessionCache({ ttlMs: 0 });
    off.set("x", actor, "1", new Date(Date.now() + 60_000));
    expect(off.get("x", "1")).toBeUndefined();
  });

  it("asks once, past half an entry's time, for it to be read afresh; a new read starts its time again", () => {
    let clock = 1_000_000;
    const cache = createSessionCache({ ttlMs: 10_000, now: () => clock });
    expect(cache.claimRefresh("t")).toBe(false);
    cache.set("t", actor, "1", new Date(clock + 60_000));
    clock += 4_999;
    expect(cache.claimRefresh("t")).toBe(false);
    clock += 1;
    expect(cache.claimRefresh("t")).toBe(true);
    // One refresh at a time; the entry is still served until its own time.
    expect(cache.claimRefresh("t")).toBe(false);
    expect(cache.get("t", "1")).toBe(actor);
    cache.set("t", actor, "1", new Date(clock + 60_000));
    expect(cache.claimRefresh("t")).toBe(false);
    clock += 9_999;
    expect(cache.get("t", "1")).toBe(actor);
    expect(cache.claimRefresh("t")).toBe(true);
    cache.delete("t");
    expect(cache.get("t", "1")).toBeUndefined();
  });
});

describe("cached sessions and sign-out", () => {
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });

  async function me(t: TestApp, token: string) {
    return t.app.inject({ method: "GET", url: "/api/me", headers: { authorization: `Bearer ${token}` } });
  }

  it("a sign-out ends a cached session at once", async () => {
    const t = await createTestApp();
    opened.push(() => t.close());
    const user = await signIn(t.app, t.db.db, "Cached");
    expect((await me(t, user.token)).statusCode).toBe(200);
    expect((await me(t, user.token)).statusCode).toBe(200);
    const out = await t.app.inject({
      method: "POST",
      url: "/api/auth/sign-out",
      headers: { cookie: user.cookie, origin: trustedOrigin(t.app) },
    });
    expect(out.statusCode).toBe(200);
    expect((await me(t, user.token)).statusCode).toBe(401);
  });

  describe("a session in use is read afresh before its entry runs out, off the request's path", () => {
    // TTL 4 s: entries ask for a refresh after 2 s, which runs 500 ms after the request that asked.
    const sleepUntil = (at: number) =>
      new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
    const signOutBehindTheApi = (t: TestApp, userId: string) =>
      t.db.pool.query("delete from auth_sessions where user_id = $1", [userId]);

    /** A user whose session was read (cached) at `read`, then used again past half the entry's time. */
    async function usedPastHalfLife(name: string) {
      const t = await createTestApp({ env: { SESSION_CACHE_TTL_MS: "4000" } });
      opened.push(() => t.close());
      const user = await signIn(t.app, t.db.db, name);
      expect((await me(t, user.token)).statusCode).toBe(200);
      const read = Date.now();
      await sleepUntil(read + 2_200);
      expect((await me(t, user.token)).statusCode).toBe(200);
      return { t, user, read };
    }

    it("keeps serving it from the cache past the first entry's time", async () => {
      const { t, user, read } = await usedPastHalfLife("Busy Host");
      await sleepUntil(read + 3_500);
      // Behind better-auth's back (no generation bump): only a read of the session would notice.
      await signOutBehindTheApi(t, user.userId);
      await sleepUntil(read + 4_500);
      // The first entry has run out; the refreshed one answers, with no read on this request.
      expect((await me(t, user.token)).statusCode).toBe(200);
    });

    it("drops the entry when the fresh read finds the session gone", async () => {
      const { t, user, read } = await usedPastHalfLife("Gone Host");
      await signOutBehindTheApi(t, user.userId);
      await sleepUntil(read + 3_600);
      // The first entry would still answer until read + 4 s.
      expect((await me(t, user.token)).statusCode).toBe(401);
    });
  });

  it("a sign-out reached through a dot segment still ends the cached session", async () => {
    const t = await createTestApp();
    opened.push(() => t.close());
    const user = await signIn(t.app, t.db.db, "Dotted");
    expect((await me(t, user.token)).statusCode).toBe(200);
    const out = await rawRequest(t.app, {
      method: "POST",
      path: "/api/auth/sign-in/../sign-out",
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(out.status).toBe(200);
    expect((await me(t, user.token)).statusCode).toBe(401);
  });

  it("ignores anonymous and failed POSTs: they cannot flush every instance's cache", async () => {
    const t = await createTestApp();
    opened.push(() => t.close());
    const before = await t.app.authServices.generation.current();
    await t.app.inject({
      method: "POST",
      url: "/api/auth/sign-out",
      headers: { origin: trustedOrigin(t.app) },
    });
    await t.app.inject({ method: "POST", url: "/api/auth/nothing-here", payload: {} });
    expect(await t.app.authServices.generation.current()).toBe(before);
  });

  it("refuses better-auth's own API-key routes: keys go through /api/api-keys (scopes, cap)", async () => {
    const t = await createTestApp();
    opened.push(() => t.close());
    const user = await signIn(t.app, t.db.db, "Keyless");
    const res = await t.app.inject({
      method: "POST",
      url: "/api/auth/api-key/create",
      headers: { authorization: `Bearer ${user.token}` },
      payload: { name: "sideways" },
    });
    expect(res.statusCode).toBe(404);
    const dotted = await rawRequest(t.app, {
      method: "POST",
      path: "/api/auth/x/../api-key/create",
      headers: { authorization: `Bearer ${user.token}` },
      body: { name: "sideways" },
    });
    expect(dotted.status).toBe(404);
  });

  it.runIf(process.env.REDIS_URL)(
    "a sign-out on one instance ends the session on another at once",
    async () => {
      const database = await createTestDatabase();
      opened.push(() => database.drop());
      const instances: TestApp[] = [];
      for (let i = 0; i < 2; i++) {
        const redis = createRedis(process.env.REDIS_URL as string, pino({ level: "silent" }));
        const t = await createTestApp({ database, redis });
        opened.push(async () => {
          await t.close();
          await redis.quit();
        });
        instances.push(t);
      }
      const [a, b] = instances as [TestApp, TestApp];
      const user = await signIn(a.app, database.db, "Twice");
      // B reads the session (from Redis or PostgreSQL) and caches it.
      expect((await me(b, user.token)).statusCode).toBe(200);
      expect((await me(b, user.token)).statusCode).toBe(200);
      const out = await a.app.inject({
        method: "POST",
        url: "/api/auth/sign-out",
        headers: { authorization: `Bearer ${user.token}` },
      });
      expect(out.statusCode).toBe(200);
      expect((await me(b, user.token)).statusCode).toBe(401);
      expect((await me(a, user.token)).statusCode).toBe(401);
    },
  );
});
