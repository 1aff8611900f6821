import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../../config/env.js";

/**
 * The secret that signs session cookies and attendee tokens. Production sets AUTH_SECRET (config refuses to
 * start without it). Elsewhere a random one is created once and kept in a 0600 file, so sessions survive a
 * restart of `npm start` without anyone having to invent a secret.
 */
export async function resolveAuthSecret(config: Config, logger: Logger): Promise<string> {
  if (config.auth.secret) return config.auth.secret;
  const file = config.auth.secretFile;
  try {
    const existing = (await readFile(file, "utf8")).trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secret = randomBytes(32).toString("base64url");
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  logger.info({ file }, "created a development auth secret (set AUTH_SECRET in production)");
  return secret;
}
