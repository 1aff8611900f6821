import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./env.js";

/** Every variable env.ts reads, with a non-default value; "reads and coerces every variable" sets them all. */
const EVERY_VARIABLE = {
  HOST: "0.0.0.0",
  PORT: "8080",
  LOG_LEVEL: "warn",
  TRUST_PROXY: "true",
  BODY_LIMIT_BYTES: "2048",
  SHUTDOWN_TIMEOUT_MS: "25000",
  DATABASE_URL: "postgres://u:p@db:5432/podium",
  DATABASE_POOL_MAX: "25",
  DATABASE_STATEMENT_TIMEOUT_MS: "1500",
  DATABASE_CONNECT_TIMEOUT_MS: "750",
  DATABASE_MIGRATE_ON_START: "false",
  EMBEDDED_PG_DATA_DIR: "/var/lib/podium",
  EMBEDDED_PG_PORT: "6543",
  REDIS_URL: "redis://cache:6379",
  HEALTH_CHECK_TIMEOUT_MS: "400",
};

const TIMEOUT_VARIABLES = [
  "SHUTDOWN_TIMEOUT_MS",
  "DATABASE_STATEMENT_TIMEOUT_MS",
  "DATABASE_CONNECT_TIMEOUT_MS",
  "HEALTH_CHECK_TIMEOUT_MS",
];

/** The ConfigError loadConfig throws for `source`, or a failure if it accepts it. */
function configError(source: Record<string, string>): ConfigError {
  try {
    loadConfig(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(source)}`);
}

describe("configuration", () => {
  it("has working defaults: embedded database, no Redis, port 3000", () => {
    expect(loadConfig({})).toEqual({
      host: "127.0.0.1",
      port: 3000,
      logLevel: "info",
      trustProxy: false,
      bodyLimitBytes: 1_048_576,
      shutdownTimeoutMs: 10_000,
      database: {
        url: undefined,
        poolMax: 10,
        statementTimeoutMs: 5000,
        connectTimeoutMs: 3000,
        migrateOnStart: true,
      },
      embeddedPostgres: { dataDir: "./data/postgres", port: 54329 },
      redis: { url: undefined },
      health: { checkTimeoutMs: 2000 },
    });
  });

  it("lists every variable env.ts declares in the test of every variable", () => {
    // The schema is not exported: read its keys from the source, so a new variable cannot go untested.
    const source = readFileSync(new URL("./env.ts", import.meta.url), "utf8");
    const start = source.indexOf("const envSchema = z.object({");
    const schema = source.slice(start, source.indexOf("\n});", start));
    const declared = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1]);
    expect(declared.length).toBeGreaterThan(0);
    expect(declared.sort()).toEqual(Object.keys(EVERY_VARIABLE).sort());
  });

  it("reads and coerces every variable", () => {
    expect(loadConfig(EVERY_VARIABLE)).toEqual({
      host: "0.0.0.0",
      port: 8080,
      logLevel: "warn",
      trustProxy: true,
      bodyLimitBytes: 2048,
      shutdownTimeoutMs: 25_000,
      database: {
        url: "postgres://u:p@db:5432/podium",
        poolMax: 25,
        statementTimeoutMs: 1500,
        connectTimeoutMs: 750,
        migrateOnStart: false,
      },
      embeddedPostgres: { dataDir: "/var/lib/podium", port: 6543 },
      redis: { url: "redis://cache:6379" },
      health: { checkTimeoutMs: 400 },
    });
  });

  it.each([
    ["true", true],
    ["1", true],
    ["yes", true],
    ["false", false],
    ["0", false],
    ["no", false],
  ])("reads the boolean %j as %s", (value, expected) => {
    const config = loadConfig({ TRUST_PROXY: value, DATABASE_MIGRATE_ON_START: value });
    expect(config.trustProxy).toBe(expected);
    expect(config.database.migrateOnStart).toBe(expected);
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", PORT: "" }).database.url).toBeUndefined();
  });

  it.each(TIMEOUT_VARIABLES)(
    "accepts %s up to 2147483647 ms (the longest timer) and refuses more",
    (name) => {
      expect(() => loadConfig({ [name]: "2147483647" })).not.toThrow();
      const message = configError({ [name]: "2147483648" }).message;
      expect(message).toContain(name);
      expect(message).toContain('"2147483648"');
    },
  );

  it("refuses an unknown log level, naming the variable", () => {
    expect(configError({ LOG_LEVEL: "verbose" }).message).toContain("LOG_LEVEL");
  });

  it("fails fast naming each bad variable, without echoing secrets", () => {
    const message = configError({
      PORT: "eighty",
      DATABASE_URL: "mysql://root:hunter2@db/x",
      DATABASE_POOL_MAX: "0",
      TRUST_PROXY: "maybe",
    }).message;
    for (const name of ["PORT", "DATABASE_URL", "DATABASE_POOL_MAX", "TRUST_PROXY"])
      expect(message).toContain(name);
    expect(message).toContain('"eighty"');
    expect(message).not.toContain("hunter2");
  });
});
