import { and, desc, eq } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import { API_KEY_SCOPES, type ApiKeyScope } from "./actor.js";
import type { Auth } from "./auth.instance.js";
import { api_keys } from "./auth.table.js";

const DAY_SECONDS = 86_400;
/** Keys of one user at most: a leaked session cannot fill the table. */
const MAX_KEYS_PER_USER = 50;

export interface ApiKeyView {
  id: string;
  name: string | null;
  start: string | null;
  scopes: ApiKeyScope[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/**
 * API keys through better-auth's api-key plugin (it hashes keys with SHA-256 and stores only the hash and the
 * first characters). Scopes are kept as the key's permissions under the `podium` resource.
 */
export function createApiKeyService({ auth, db }: { auth: Auth; db: Database }) {
  return {
    async create(
      userId: string,
      input: { name: string; scopes: ApiKeyScope[]; expiresInDays?: number },
    ): Promise<ApiKeyView & { key: string }> {
      const existing = await db.$count(api_keys, eq(api_keys.referenceId, userId));
      if (existing >= MAX_KEYS_PER_USER) {
        throw new AppError(
          "API_KEY_LIMIT_REACHED",
          409,
          `A user may hold at most ${MAX_KEYS_PER_USER} API keys.`,
        );
      }
      const created = await auth.api.createApiKey({
        body: {
          userId,
          name: input.name,
          permissions: { podium: [...new Set(input.scopes)] },
          expiresIn: input.expiresInDays ? input.expiresInDays * DAY_SECONDS : null,
        },
      });
      const [row] = await db.select().from(api_keys).where(eq(api_keys.id, created.id)).limit(1);
      if (!row) throw new Error("API key vanished right after creation");
      return { ...view(row), key: created.key };
    },

    async list(userId: string): Promise<ApiKeyView[]> {
      const rows = await db
        .select()
        .from(api_keys)
        .where(eq(api_keys.referenceId, userId))
        .orderBy(desc(api_keys.createdAt), desc(api_keys.id));
      return rows.map(view);
    },

    /** Another user's key is reported as not found, never as forbidden: ids of others' keys are not confirmed. */
    async revoke(userId: string, keyId: string): Promise<void> {
      const deleted = await db
        .delete(api_keys)
        .where(and(eq(api_keys.id, keyId), eq(api_keys.referenceId, userId)))
        .returning({ id: api_keys.id });
      if (deleted.length === 0) throw new AppError("API_KEY_NOT_FOUND", 404, "API key not found.");
    },
  };
}

function view(row: typeof api_keys.$inferSelect): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    start: row.start,
    scopes: parseScopes(row.permissions),
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastRequest?.toISOString() ?? null,
  };
}

function parseScopes(permissions: string | null): ApiKeyScope[] {
  if (!permissions) return [];
  try {
    const granted = (JSON.parse(permissions) as { podium?: unknown }).podium;
    return Array.isArray(granted) ? API_KEY_SCOPES.filter((scope) => granted.includes(scope)) : [];
  } catch {
    return [];
  }
}
