import { createHash } from "node:crypto";
import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import { API_KEY_SCOPES, type ApiKeyScope } from "./actor.js";
import type { Auth } from "./auth.instance.js";
import type { api_keys } from "./auth.table.js";
import { countKeys, deleteKey, findKey, findKeyByHash, listKeys, touchKey } from "./api-keys.repository.js";

const DAY_SECONDS = 86_400;
const LAST_USED_RESOLUTION_MS = 60_000;
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
      if ((await countKeys(db, userId)) >= MAX_KEYS_PER_USER) {
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
      const row = await findKey(db, created.id);
      if (!row) throw new Error("API key vanished right after creation");
      return { ...view(row), key: created.key };
    },

    async list(userId: string): Promise<ApiKeyView[]> {
      return (await listKeys(db, userId)).map(view);
    },

    /** Another user's key is reported as not found, never as forbidden: ids of others' keys are not confirmed. */
    async revoke(userId: string, keyId: string): Promise<void> {
      if (!(await deleteKey(db, userId, keyId)))
        throw new AppError("API_KEY_NOT_FOUND", 404, "API key not found.");
    },

    /**
     * The key's owner and scopes, or INVALID_API_KEY. Ours rather than the plugin's verifyApiKey, which reports
     * a database outage as an invalid key (clients would drop a good key) and never looks at the owner: a key
     * of a banned or deleted user must stop working. Hashing is the plugin's (SHA-256, base64url).
     */
    async verify(key: string): Promise<{ keyId: string; userId: string; scopes: ApiKeyScope[] }> {
      const row = await findKeyByHash(db, createHash("sha256").update(key).digest("base64url"));
      const now = new Date();
      const ownerBanned = row?.ownerBanned === true && (!row.ownerBanExpires || row.ownerBanExpires > now);
      if (
        !row ||
        !row.ownerId ||
        ownerBanned ||
        row.enabled === false ||
        (row.expiresAt && row.expiresAt <= now)
      ) {
        throw new AppError("INVALID_API_KEY", 401, "The API key is invalid, expired or revoked.");
      }
      // "Last used" to the minute is enough, and spares a write on every request of a busy integration.
      if (!row.lastRequest || now.getTime() - row.lastRequest.getTime() > LAST_USED_RESOLUTION_MS) {
        await touchKey(db, row.id, now);
      }
      return { keyId: row.id, userId: row.userId, scopes: parseScopes(row.permissions) };
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

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
