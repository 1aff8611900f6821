import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createApiKey, signIn, type SignedInUser } from "../../../test/helpers/actors.js";
import { api_keys, users } from "./auth.table.js";

describe("API keys", () => {
  let t: TestApp;
  let owner: SignedInUser;
  let other: SignedInUser;
  beforeAll(async () => {
    t = await createTestApp();
    owner = await signIn(t.app, t.db.db, "Key Owner");
    other = await signIn(t.app, t.db.db, "Someone Else");
  });
  afterAll(async () => t?.close());

  const asOwner = () => ({ authorization: `Bearer ${owner.token}` });

  it("shows the key once, stores only its hash, and lists it without the key", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/api-keys",
      headers: asOwner(),
      payload: { name: "CI webhook", scopes: ["sessions:read", "analytics:read"], expiresInDays: 30 },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers["cache-control"]).toBe("no-store");
    const created = res.json() as {
      id: string;
      key: string;
      start: string;
      scopes: string[];
      expiresAt: string;
    };
    expect(created.key).toMatch(/^pdm_[A-Za-z0-9]{32,}$/);
    expect(created.key.startsWith(created.start)).toBe(true);
    expect(created.scopes).toEqual(["sessions:read", "analytics:read"]);
    expect(new Date(created.expiresAt).getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const [row] = await t.db.db.select().from(api_keys).where(eq(api_keys.id, created.id));
    expect(row!.key).not.toContain(created.key);
    expect(row!.key).toBe(createHash("sha256").update(created.key).digest("base64url"));

    const list = await t.app.inject({ method: "GET", url: "/api/api-keys", headers: asOwner() });
    expect(list.statusCode).toBe(200);
    const items = (list.json() as { items: Array<Record<string, unknown>> }).items;
    const listed = items.find((item) => item.id === created.id);
    expect(listed).toMatchObject({ name: "CI webhook", start: created.start, lastUsedAt: null });
    expect(listed).not.toHaveProperty("key");
    expect(list.body).not.toContain(created.key);
  });

  it("authenticates with the key, limited to its scopes, and records when it was last used", async () => {
    const { id, key } = await createApiKey(t.app, owner, ["sessions:read"]);
    const me = await t.app.inject({ method: "GET", url: "/api/me", headers: { "x-api-key": key } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ kind: "apiKey", keyId: id, userId: owner.userId, scopes: ["sessions:read"] });
    const list = await t.app.inject({ method: "GET", url: "/api/api-keys", headers: asOwner() });
    const listed = (list.json() as { items: Array<{ id: string; lastUsedAt: string | null }> }).items.find(
      (item) => item.id === id,
    );
    expect(listed?.lastUsedAt).not.toBeNull();
    expect(Date.now() - new Date(listed!.lastUsedAt!).getTime()).toBeLessThan(60_000);
  });

  it("revokes a key: it stops working at once", async () => {
    const { id, key } = await createApiKey(t.app, owner, ["sessions:read"]);
    const revoke = await t.app.inject({ method: "DELETE", url: `/api/api-keys/${id}`, headers: asOwner() });
    expect(revoke.statusCode).toBe(204);
    const me = await t.app.inject({ method: "GET", url: "/api/me", headers: { "x-api-key": key } });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toMatchObject({ code: "INVALID_API_KEY" });
    const again = await t.app.inject({ method: "DELETE", url: `/api/api-keys/${id}`, headers: asOwner() });
    expect(again.statusCode).toBe(404);
  });

  it("never reveals or revokes another user's key", async () => {
    const { id, key } = await createApiKey(t.app, other, ["sessions:read"]);
    const list = await t.app.inject({ method: "GET", url: "/api/api-keys", headers: asOwner() });
    expect(list.body).not.toContain(id);
    const revoke = await t.app.inject({ method: "DELETE", url: `/api/api-keys/${id}`, headers: asOwner() });
    expect(revoke.statusCode).toBe(404);
    const me = await t.app.inject({ method: "GET", url: "/api/me", headers: { "x-api-key": key } });
    expect(me.statusCode).toBe(200);
  });

  it("stops working when its owner is banned or deleted", async () => {
    const banned = await signIn(t.app, t.db.db, "Soon Banned");
    const { key } = await createApiKey(t.app, banned, ["sessions:read"]);
    expect(
      (await t.app.inject({ method: "GET", url: "/api/me", headers: { "x-api-key": key } })).statusCode,
    ).toBe(200);
    await t.db.db.update(users).set({ banned: true }).where(eq(users.id, banned.userId));
    const refused = await t.app.inject({ method: "GET", url: "/api/me", headers: { "x-api-key": key } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: "INVALID_API_KEY" });
    // A ban that has run out no longer counts.
    await t.db.db
      .update(users)
      .set({ banExpires: new Date(Date.now() - 1000) })
      .where(eq(users.id, banned.userId));
    expect(
      (await t.app.inject({ method: "GET", url: "/api/me", headers: { "x-api-key": key } })).statusCode,
    ).toBe(200);

    const deleted = await signIn(t.app, t.db.db, "Soon Gone");
    const second = await createApiKey(t.app, deleted, ["sessions:read"]);
    await t.db.db.delete(users).where(eq(users.id, deleted.userId));
    const gone = await t.app.inject({ method: "GET", url: "/api/me", headers: { "x-api-key": second.key } });
    expect(gone.statusCode).toBe(401);
  });

  it("cannot be used to manage keys", async () => {
    const { key } = await createApiKey(t.app, owner, ["sessions:read", "sessions:write"]);
    const res = await t.app.inject({
      method: "POST",
      url: "/api/api-keys",
      headers: { "x-api-key": key },
      payload: { name: "minted by a key", scopes: ["sessions:write"] },
    });
    expect(res.statusCode).toBe(403);
  });

  it.each([
    ["an unknown scope", { name: "x", scopes: ["admin:everything"] }],
    ["no scope", { name: "x", scopes: [] }],
    ["no name", { scopes: ["sessions:read"] }],
    [
      "an extra field",
      { name: "x", scopes: ["sessions:read"], userId: "5eed0001-0000-4000-8000-000000000001" },
    ],
    ["an expiry too far away", { name: "x", scopes: ["sessions:read"], expiresInDays: 100_000 }],
  ])("refuses %s with 400", async (_label, payload) => {
    const res = await t.app.inject({ method: "POST", url: "/api/api-keys", headers: asOwner(), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "VALIDATION_FAILED" });
  });

  it("refuses a made-up key and a key of the wrong shape with 401", async () => {
    for (const key of ["pdm_notarealkey0000000000000000000000000000", "x"]) {
      const res = await t.app.inject({ method: "GET", url: "/api/me", headers: { "x-api-key": key } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: "INVALID_API_KEY" });
    }
  });
});
