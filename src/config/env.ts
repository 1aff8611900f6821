import { z } from "zod";

/**
 * The only reader of process.env. Every variable is listed once here, parsed with Zod, and documented in the
 * readme. A bad value stops the process at start with a message naming the variable.
 */

const booleanString = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
// Timers take at most 2^31-1 ms; a larger value would fire at once.
const durationMs = positiveInt.max(2_147_483_647);

const postgresUrl = z
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), "must be a postgres:// or postgresql:// URL");
const redisUrl = z
  .url()
  .refine((value) => /^rediss?:\/\//.test(value), "must be a redis:// or rediss:// URL");

const envSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  TRUST_PROXY: booleanString.default(false),
  BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
  SHUTDOWN_TIMEOUT_MS: durationMs.default(10_000),

  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: positiveInt.max(1_000).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: durationMs.default(5_000),
  DATABASE_CONNECT_TIMEOUT_MS: durationMs.default(3_000),
  DATABASE_MIGRATE_ON_START: booleanString.default(true),

  EMBEDDED_PG_DATA_DIR: z.string().min(1).default("./data/postgres"),
  EMBEDDED_PG_PORT: port.default(54_329),

  REDIS_URL: redisUrl.optional(),

  HEALTH_CHECK_TIMEOUT_MS: durationMs.default(2_000),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  host: string;
  port: number;
  logLevel: Env["LOG_LEVEL"];
  trustProxy: boolean;
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  database: {
    /** Absent: the server starts the embedded PostgreSQL. */
    url: string | undefined;
    poolMax: number;
    statementTimeoutMs: number;
    connectTimeoutMs: number;
    migrateOnStart: boolean;
  };
  embeddedPostgres: { dataDir: string; port: number };
  redis: { url: string | undefined };
  health: { checkTimeoutMs: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads the configuration from `source` (process.env by default); throws ConfigError naming each bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in most shells (`PORT= npm start`).
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join(".");
        const shown = name in present ? ` (got ${JSON.stringify(redact(name, present[name]))})` : "";
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const env = parsed.data;
  return {
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    trustProxy: env.TRUST_PROXY,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    database: {
      url: env.DATABASE_URL,
      poolMax: env.DATABASE_POOL_MAX,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      migrateOnStart: env.DATABASE_MIGRATE_ON_START,
    },
    embeddedPostgres: { dataDir: env.EMBEDDED_PG_DATA_DIR, port: env.EMBEDDED_PG_PORT },
    redis: { url: env.REDIS_URL },
    health: { checkTimeoutMs: env.HEALTH_CHECK_TIMEOUT_MS },
  };
}

// URLs may carry passwords: never echo them back in an error message.
function redact(name: string, value: string | undefined): string | undefined {
  return name.endsWith("_URL") ? "<redacted>" : value;
}
