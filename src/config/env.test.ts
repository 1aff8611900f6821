import { join } from "node:path";
import { projectRoot } from "../lib/paths.js";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./env.js";

/** Every variable env.ts reads, with a non-default value; "reads and coerces every variable" sets them all. */
const EVERY_VARIABLE = {
  HOST: "0.0.0.0",
  PORT: "8080",
  LOG_LEVEL: "warn",
  TRUST_PROXY: "10.0.0.0/8, 127.0.0.1",
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
  NODE_ENV: "production",
  PUBLIC_URL: "https://podium.example.com/",
  AUTH_SECRET: "a-production-secret-of-at-least-32-chars",
  AUTH_SECRET_FILE: "/run/secrets/auth",
  GOOGLE_CLIENT_ID: "google-id",
  GOOGLE_CLIENT_SECRET: "google-secret",
  GITHUB_CLIENT_ID: "github-id",
  GITHUB_CLIENT_SECRET: "github-secret",
  SESSION_CACHE_TTL_MS: "0",
  ADMIN_EMAILS: "Boss@Example.com, ops@example.com",
  CORS_ORIGINS: "https://console.example.com,https://podium.example.com",
  RATE_LIMIT_WINDOW_MS: "30000",
  RATE_LIMIT_IP_MAX: "100",
  RATE_LIMIT_ACTOR_MAX: "50",
  RATE_LIMIT_SIGN_IN_MAX: "5",
  PRESENCE_GRACE_MS: "30000",
  PRESENCE_SWEEP_INTERVAL_MS: "5000",
  RATE_LIMIT_JOIN_LOOKUP_MAX: "7",
  REALTIME_EVENTS_PER_SECOND: "5",
  REALTIME_EVENT_BURST: "12",
  REALTIME_FLOOD_DISCONNECT_AFTER: "20",
  REALTIME_CONNECTIONS_PER_MINUTE: "90",
  REALTIME_COALESCE_MS: "500",
  METRICS_TOKEN: "metrics-token-0123456789",
  WEB_CLIENT_DIR: "/srv/podium/web",
  QA_QUESTIONS_PER_MINUTE: "3",
  QA_VOTES_PER_MINUTE: "40",
  QA_EDIT_WINDOW_MS: "30000",
  ICE_STUN_URLS: "stun:stun.example.com:3478, stuns:stun.example.com:5349",
  TURN_URLS: "turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349",
  TURN_SECRET: "coturn-static-auth-secret",
  TURN_CREDENTIAL_TTL_S: "3600",
  SIGNALING_EVENTS_PER_SECOND: "15",
  SIGNALING_EVENT_BURST: "150",
  SIGNALING_PRESENTER_EVENTS_PER_SECOND: "300",
  SIGNALING_PRESENTER_EVENT_BURST: "3000",
  MEDIA_STATS_INTERVAL_MS: "2000",
  MEDIA_QUALITY_SUMMARY_MS: "1000",
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
      nodeEnv: "development",
      auth: {
        publicUrl: "http://127.0.0.1:3000",
        secret: undefined,
        secretFile: "./data/auth-secret",
        google: undefined,
        github: undefined,
        sessionCacheTtlMs: 60_000,
        adminEmails: [],
        trustedOrigins: ["http://127.0.0.1:3000", "http://localhost:3000"],
      },
      presence: { graceMs: 60_000, sweepIntervalMs: 15_000 },
      rateLimit: { windowMs: 60_000, ipMax: 3000, actorMax: 300, signInMax: 10, joinLookupMax: 120 },
      realtime: {
        eventsPerSecond: 10,
        eventBurst: 30,
        floodDisconnectAfter: 50,
        connectionsPerMinute: 600,
        coalesceMs: 250,
      },
      metricsToken: undefined,
      webClientDir: join(projectRoot(), "dist", "web"),
      qa: { questionsPerMinute: 5, votesPerMinute: 120, editWindowMs: 120_000 },
      media: {
        stunUrls: [],
        turnUrls: [],
        turnSecret: undefined,
        turnCredentialTtlS: 14_400,
        attendeeSignaling: { eventsPerSecond: 20, eventBurst: 200 },
        presenterSignaling: { eventsPerSecond: 500, eventBurst: 5_000 },
        statsIntervalMs: 5_000,
        qualitySummaryMs: 2_000,
      },
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
      trustProxy: "10.0.0.0/8,127.0.0.1",
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
      nodeEnv: "production",
      auth: {
        publicUrl: "https://podium.example.com",
        secret: "a-production-secret-of-at-least-32-chars",
        secretFile: "/run/secrets/auth",
        google: { clientId: "google-id", clientSecret: "google-secret" },
        github: { clientId: "github-id", clientSecret: "github-secret" },
        sessionCacheTtlMs: 0,
        adminEmails: ["boss@example.com", "ops@example.com"],
        trustedOrigins: ["https://podium.example.com", "https://console.example.com"],
      },
      presence: { graceMs: 30_000, sweepIntervalMs: 5_000 },
      rateLimit: { windowMs: 30_000, ipMax: 100, actorMax: 50, signInMax: 5, joinLookupMax: 7 },
      realtime: {
        eventsPerSecond: 5,
        eventBurst: 12,
        floodDisconnectAfter: 20,
        connectionsPerMinute: 90,
        coalesceMs: 500,
      },
      metricsToken: "metrics-token-0123456789",
      webClientDir: "/srv/podium/web",
      qa: { questionsPerMinute: 3, votesPerMinute: 40, editWindowMs: 30_000 },
      media: {
        stunUrls: ["stun:stun.example.com:3478", "stuns:stun.example.com:5349"],
        turnUrls: ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"],
        turnSecret: "coturn-static-auth-secret",
        turnCredentialTtlS: 3600,
        attendeeSignaling: { eventsPerSecond: 15, eventBurst: 150 },
        presenterSignaling: { eventsPerSecond: 300, eventBurst: 3000 },
        statsIntervalMs: 2000,
        qualitySummaryMs: 1000,
      },
    });
  });

  it("trusts both loopback names in development when PUBLIC_URL is not set, and only PUBLIC_URL otherwise", () => {
    expect(loadConfig({ PORT: "4000" }).auth.trustedOrigins).toEqual([
      "http://127.0.0.1:4000",
      "http://localhost:4000",
    ]);
    expect(loadConfig({ HOST: "0.0.0.0", PORT: "4000" }).auth.trustedOrigins).toEqual([
      "http://localhost:4000",
      "http://127.0.0.1:4000",
    ]);
    expect(loadConfig({ HOST: "10.1.2.3", PORT: "4000" }).auth.trustedOrigins).toEqual([
      "http://10.1.2.3:4000",
    ]);
    expect(loadConfig({ PUBLIC_URL: "http://127.0.0.1:4000" }).auth.trustedOrigins).toEqual([
      "http://127.0.0.1:4000",
    ]);
  });

  it("derives the public URL from a wildcard or IPv6 listening address", () => {
    expect(loadConfig({ HOST: "0.0.0.0", PORT: "8080" }).auth.publicUrl).toBe("http://localhost:8080");
    expect(loadConfig({ HOST: "::1" }).auth.publicUrl).toBe("http://[::1]:3000");
  });

  it("refuses production without a provider, a secret or a public URL, naming each", () => {
    const message = configError({ NODE_ENV: "production" }).message;
    for (const name of ["GOOGLE_CLIENT_ID / GITHUB_CLIENT_ID", "AUTH_SECRET", "PUBLIC_URL"])
      expect(message).toContain(name);
  });

  it("wants both halves of an OAuth client, and never echoes a secret", () => {
    expect(configError({ GOOGLE_CLIENT_ID: "id" }).message).toContain("GOOGLE_CLIENT_SECRET: required");
    const message = configError({ GITHUB_CLIENT_SECRET: "hunter2-github" }).message;
    expect(message).toContain("GITHUB_CLIENT_ID: required");
    expect(message).not.toContain("hunter2");
    const short = configError({ AUTH_SECRET: "hunter2" }).message;
    expect(short).toContain("AUTH_SECRET");
    expect(short).not.toContain("hunter2");
  });

  it.each([
    ["CORS_ORIGINS", "https://console.example.com/path"],
    ["CORS_ORIGINS", "console.example.com"],
    ["PUBLIC_URL", "https://podium.example.com/app"],
    ["ADMIN_EMAILS", "not-an-email"],
  ])("refuses %s=%j", (name, value) => {
    expect(configError({ [name]: value }).message).toContain(name);
  });

  it.each([
    ["true", true],
    ["1", true],
    ["yes", true],
    ["false", false],
    ["0", false],
    ["no", false],
  ])("reads the boolean %j as %s", (value, expected) => {
    const config = loadConfig({ DATABASE_MIGRATE_ON_START: value });
    expect(config.database.migrateOnStart).toBe(expected);
  });

  it.each([
    ["false", false],
    ["2", 2],
    ["10.0.0.1", "10.0.0.1"],
    ["10.0.0.0/8,::1", "10.0.0.0/8,::1"],
  ])("reads TRUST_PROXY=%j as %j", (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toBe(expected);
  });

  it.each(["true", "yes", "10.0.0.0/33", "proxy.local", "-1"])("refuses TRUST_PROXY=%j", (value) => {
    expect(configError({ TRUST_PROXY: value }).message).toContain("TRUST_PROXY");
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

  it("wants TURN_URLS and TURN_SECRET together, never echoing the secret", () => {
    expect(configError({ TURN_URLS: "turn:turn.example.com" }).message).toContain("TURN_SECRET: required");
    const message = configError({ TURN_SECRET: "hunter2-hunter2-hunter2" }).message;
    expect(message).toContain("TURN_URLS: required");
    expect(message).not.toContain("hunter2");
  });

  it.each([
    ["ICE_STUN_URLS", "https://stun.example.com"],
    ["ICE_STUN_URLS", "turn:turn.example.com"],
    ["TURN_URLS", "stun:stun.example.com"],
  ])("refuses %s=%j", (name, value) => {
    expect(configError({ [name]: value, TURN_SECRET: "0123456789abcdef" }).message).toContain(name);
  });

  it("refuses an unknown log level, naming the variable", () => {
    expect(configError({ LOG_LEVEL: "verbose" }).message).toContain("LOG_LEVEL");
  });

  it("fails fast naming each bad variable, without echoing secrets", () => {
    const message = configError({
      PORT: "eighty",
      DATABASE_URL: "mysql://root:hunter2@db/x",
      DATABASE_POOL_MAX: "0",
      TRUST_PROXY: "true",
    }).message;
    for (const name of ["PORT", "DATABASE_URL", "DATABASE_POOL_MAX", "TRUST_PROXY"])
      expect(message).toContain(name);
    expect(message).toContain('"eighty"');
    expect(message).not.toContain("hunter2");
  });
});
