import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./env.js";

describe("configuration", () => {
  it("has working defaults: embedded database, no Redis, port 3000", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: "development",
      host: "127.0.0.1",
      port: 3000,
      database: { url: undefined, poolMax: 10, statementTimeoutMs: 5000, migrateOnStart: true },
      embeddedPostgres: { dataDir: "./data/postgres", port: 54329 },
      redis: { url: undefined },
    });
  });

  it("reads and coerces every variable", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      HOST: "0.0.0.0",
      PORT: "8080",
      TRUST_PROXY: "true",
      DATABASE_URL: "postgres://u:p@db:5432/podium",
      DATABASE_POOL_MAX: "25",
      DATABASE_STATEMENT_TIMEOUT_MS: "1500",
      DATABASE_MIGRATE_ON_START: "false",
      REDIS_URL: "redis://cache:6379",
      EMBEDDED_PG_DATA_DIR: "/var/lib/podium",
    });
    expect(config.port).toBe(8080);
    expect(config.trustProxy).toBe(true);
    expect(config.database).toMatchObject({
      url: "postgres://u:p@db:5432/podium",
      poolMax: 25,
      statementTimeoutMs: 1500,
      migrateOnStart: false,
    });
    expect(config.redis.url).toBe("redis://cache:6379");
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", PORT: "" }).database.url).toBeUndefined();
  });

  it("fails fast naming each bad variable, without echoing secrets", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "eighty",
        DATABASE_URL: "mysql://root:hunter2@db/x",
        DATABASE_POOL_MAX: "0",
        TRUST_PROXY: "maybe",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ["PORT", "DATABASE_URL", "DATABASE_POOL_MAX", "TRUST_PROXY"])
      expect(message).toContain(name);
    expect(message).toContain('"eighty"');
    expect(message).not.toContain("hunter2");
  });
});
