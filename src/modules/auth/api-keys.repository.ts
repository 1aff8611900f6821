import { and, desc, eq, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { api_keys, users } from "./auth.table.js";

export type ApiKeyRow = typeof api_keys.$inferSelect;

export function countKeys(db: Executor, userId: string): Promise<number> {
  return db.$count(api_keys, eq(api_keys.referenceId, userId));
}

export async function findKey(db: Executor, keyId: string): Promise<ApiKeyRow | null> {
  const [row] = await db.select().from(api_keys).where(eq(api_keys.id, keyId)).limit(1);
  return row ?? null;
}

export function listKeys(db: Executor, userId: string): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(api_keys)
    .where(eq(api_keys.referenceId, userId))
    .orderBy(desc(api_keys.createdAt), desc(api_keys.id));
}

export async function deleteKey(db: Executor, userId: string, keyId: string): Promise<boolean> {
  const deleted = await db
    .delete(api_keys)
    .where(and(eq(api_keys.id, keyId), eq(api_keys.referenceId, userId)))
    .returning({ id: api_keys.id });
  return deleted.length > 0;
}

/** The key with this hash and its owner's standing, in one round trip. */
export async function findKeyByHash(db: Executor, hash: string) {
  const [row] = await db
    .select({
      id: api_keys.id,
      userId: api_keys.referenceId,
      enabled: api_keys.enabled,
      expiresAt: api_keys.expiresAt,
      permissions: api_keys.permissions,
      lastRequest: api_keys.lastRequest,
      ownerId: users.id,
      ownerBanned: users.banned,
      ownerBanExpires: users.banExpires,
    })
    .from(api_keys)
    // better-auth keeps the owner as text (a key may belong to other kinds of owner): compare as text.
    .leftJoin(users, eq(sql`${users.id}::text`, api_keys.referenceId))
    .where(eq(api_keys.key, hash))
    .limit(1);
  return row ?? null;
}

export async function touchKey(db: Executor, keyId: string, at: Date): Promise<void> {
  await db.update(api_keys).set({ lastRequest: at }).where(eq(api_keys.id, keyId));
}
