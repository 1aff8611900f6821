import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { projectRoot } from "../lib/paths.js";
import { z } from "zod";

/**
 * The only reader of process.env. Every variable is listed once here, parsed with Zod, and documented in the
 * readme. A bad value stops the process at start with a message naming the variable.
 */

const booleanString = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

/**
 * Which X-Forwarded-For hops to believe: `false`, the number of proxies in front of Podium, or their addresses
 * (IPs or CIDRs, comma-separated). Never "all": the leftmost X-Forwarded-For entry is whatever the client wrote,
 * and rate limits would count an address of the client's choosing.
 */
const proxyTrustOff = ["false", "no", "0"];
const hopCount = /^[1-9]\d?$/;

function isProxyAddress(entry: string): boolean {
  const [address, prefix, extra] = entry.split("/");
  if (extra !== undefined || !address || isIP(address) === 0) return false;
  return (
    prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (isIP(address) === 4 ? 32 : 128))
  );
}

const trustProxy = z
  .string()
  .transform((value) => value.trim())
  .refine(
    (value) =>
      proxyTrustOff.includes(value) ||
      hopCount.test(value) ||
      value.split(",").every((entry) => isProxyAddress(entry.trim())),
    "must be false, the number of proxies in front of Podium (e.g. 1), or their addresses (e.g. 10.0.0.0/8,127.0.0.1); `true` is refused: clients could choose their own address",
  )
  .transform((value): false | number | string => {
    if (proxyTrustOff.includes(value)) return false;
    if (hopCount.test(value)) return Number(value);
    return value
      .split(",")
      .map((entry) => entry.trim())
      .join(",");
  });

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

const commaList = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);
const iceUrls = (schemes: string[]) =>
  commaList.pipe(
    z.array(
      z
        .string()
        .refine(
          (value) => schemes.some((scheme) => value.startsWith(`${scheme}:`)) && value.length <= 512,
          `each must be a ${schemes.join(": or ")}: URL (e.g. ${schemes[0]}:turn.example.com:3478)`,
        ),
    ),
  );

const origin = z.url().refine((value) => /^https?:\/\/[^/]+$/.test(value.replace(/\/$/, "")), {
  message: "must be an origin such as https://podium.example.com (scheme, host, optional port; no path)",
});

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  TRUST_PROXY: trustProxy.default(false),
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

  PUBLIC_URL: origin.optional(),
  AUTH_SECRET: z
    .string()
    .min(32, "must be at least 32 characters (e.g. `openssl rand -base64 32`)")
    .optional(),
  AUTH_SECRET_FILE: z.string().min(1).default("./data/auth-secret"),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  GITHUB_CLIENT_ID: z.string().min(1).optional(),
  GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  SESSION_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  ADMIN_EMAILS: commaList.pipe(z.array(z.email())).default([]),
  CORS_ORIGINS: commaList.pipe(z.array(origin)).default([]),

  PRESENCE_GRACE_MS: durationMs.default(60_000),
  PRESENCE_SWEEP_INTERVAL_MS: durationMs.default(15_000),

  RATE_LIMIT_WINDOW_MS: durationMs.default(60_000),
  // Generous: a conference venue puts hundreds of attendees behind one shared address; each actor has its own limit.
  RATE_LIMIT_IP_MAX: positiveInt.default(3_000),
  RATE_LIMIT_ACTOR_MAX: positiveInt.default(300),
  RATE_LIMIT_SIGN_IN_MAX: positiveInt.default(10),
  // Looking up a session by join code: enough for a venue behind one address, too few to enumerate codes.
  RATE_LIMIT_JOIN_LOOKUP_MAX: positiveInt.default(120),

  // Real-time: per socket, a sustained event rate with a burst allowance; a socket refused this many times in
  // ten seconds is disconnected. New connections per address and per minute (a venue shares one address).
  REALTIME_EVENTS_PER_SECOND: positiveInt.max(10_000).default(10),
  REALTIME_EVENT_BURST: positiveInt.max(100_000).default(30),
  REALTIME_FLOOD_DISCONNECT_AFTER: positiveInt.default(50),
  REALTIME_CONNECTIONS_PER_MINUTE: positiveInt.default(600),
  // How often coalesced updates (attendee counts) go out per session, at most.
  REALTIME_COALESCE_MS: durationMs.default(250),
  METRICS_TOKEN: z.string().min(16).optional(),
  /** The built browser client (vite build: dist/web); relative paths are from the working directory. */
  WEB_CLIENT_DIR: z.string().min(1).optional(),

  // Q&A: per attendee, questions and votes per minute; how long an author may edit its question.
  QA_QUESTIONS_PER_MINUTE: positiveInt.default(5),
  QA_VOTES_PER_MINUTE: positiveInt.default(120),
  QA_EDIT_WINDOW_MS: durationMs.default(120_000),

  // WebRTC: ICE servers handed to every peer; TURN credentials by the TURN REST convention (coturn's
  // use-auth-secret), valid for TURN_CREDENTIAL_TTL_S.
  ICE_STUN_URLS: iceUrls(["stun", "stuns"]).default([]),
  TURN_URLS: iceUrls(["turn", "turns"]).default([]),
  TURN_SECRET: z.string().min(16, "must be at least 16 characters (coturn's static-auth-secret)").optional(),
  TURN_CREDENTIAL_TTL_S: positiveInt.max(7 * 86_400).default(14_400),
  // Signaling: per socket, its own budget beside REALTIME_*: an attendee's offer/answer/candidates, and a
  // presenter's, which grow with the number of attendees it connects at once.
  SIGNALING_EVENTS_PER_SECOND: positiveInt.max(100_000).default(20),
  SIGNALING_EVENT_BURST: positiveInt.max(1_000_000).default(200),
  SIGNALING_PRESENTER_EVENTS_PER_SECOND: positiveInt.max(100_000).default(500),
  SIGNALING_PRESENTER_EVENT_BURST: positiveInt.max(1_000_000).default(5_000),
  // How often clients are asked to send quality reports, and how often presenters get the summary.
  MEDIA_STATS_INTERVAL_MS: durationMs.min(500).default(5_000),
  MEDIA_QUALITY_SUMMARY_MS: durationMs.min(100).default(2_000),
});

export type Env = z.infer<typeof envSchema>;

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface Config {
  /** `production` turns off development sign-in and requires an OAuth provider and AUTH_SECRET. */
  nodeEnv: Env["NODE_ENV"];
  host: string;
  port: number;
  logLevel: Env["LOG_LEVEL"];
  /** Fastify's trustProxy: false, a hop count, or trusted proxy addresses. */
  trustProxy: false | number | string;
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
  auth: {
    /** The origin browsers reach the server at: OAuth callbacks and cookies are built on it. */
    publicUrl: string;
    /** Absent outside production: a random one is kept in `secretFile`. */
    secret: string | undefined;
    secretFile: string;
    google: OAuthClient | undefined;
    github: OAuthClient | undefined;
    /** How long a session read may be reused (0: never); a sign-out anywhere invalidates it at once. */
    sessionCacheTtlMs: number;
    /** Users signing in with one of these (verified) emails get the platform admin role. */
    adminEmails: string[];
    /** Origins allowed to call the API from a browser (CORS) and to send cookie-authenticated mutations. */
    trustedOrigins: string[];
  };
  /** Attendees silent for `graceMs` are marked disconnected by a sweep every `sweepIntervalMs` (one instance). */
  presence: { graceMs: number; sweepIntervalMs: number };
  rateLimit: { windowMs: number; ipMax: number; actorMax: number; signInMax: number; joinLookupMax: number };
  realtime: {
    eventsPerSecond: number;
    eventBurst: number;
    floodDisconnectAfter: number;
    connectionsPerMinute: number;
    coalesceMs: number;
  };
  /** The folder holding the built browser client (index.html, join.html, assets/). */
  webClientDir: string;
  /** Bearer token /api/metrics requires; absent: the metrics are open (keep them on an internal network). */
  metricsToken: string | undefined;
  qa: { questionsPerMinute: number; votesPerMinute: number; editWindowMs: number };
  media: {
    stunUrls: string[];
    turnUrls: string[];
    /** Shared with the TURN server (coturn `static-auth-secret`); set exactly when `turnUrls` is. */
    turnSecret: string | undefined;
    turnCredentialTtlS: number;
    /** Signaling budgets per socket (events per second sustained, plus a burst per ten seconds). */
    attendeeSignaling: { eventsPerSecond: number; eventBurst: number };
    presenterSignaling: { eventsPerSecond: number; eventBurst: number };
    statsIntervalMs: number;
    qualitySummaryMs: number;
  };
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
  const problems = [
    ...oauthPairProblems(
      ["GOOGLE_CLIENT_ID", env.GOOGLE_CLIENT_ID],
      ["GOOGLE_CLIENT_SECRET", env.GOOGLE_CLIENT_SECRET],
    ),
    ...oauthPairProblems(
      ["GITHUB_CLIENT_ID", env.GITHUB_CLIENT_ID],
      ["GITHUB_CLIENT_SECRET", env.GITHUB_CLIENT_SECRET],
    ),
  ];
  if (env.TURN_URLS.length > 0 && !env.TURN_SECRET)
    problems.push("TURN_SECRET: required when TURN_URLS is set (the TURN server's shared secret)");
  if (env.TURN_SECRET && env.TURN_URLS.length === 0)
    problems.push("TURN_URLS: required when TURN_SECRET is set");
  if (env.NODE_ENV === "production") {
    if (!env.GOOGLE_CLIENT_ID && !env.GITHUB_CLIENT_ID) {
      problems.push(
        "GOOGLE_CLIENT_ID / GITHUB_CLIENT_ID: production needs at least one OAuth provider (development sign-in is off in production)",
      );
    }
    if (!env.AUTH_SECRET) problems.push("AUTH_SECRET: required in production (at least 32 characters)");
    if (!env.PUBLIC_URL) problems.push("PUBLIC_URL: required in production (the origin browsers use)");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const publicUrl = (env.PUBLIC_URL ?? defaultPublicUrl(env.HOST, env.PORT)).replace(/\/$/, "");
  return {
    nodeEnv: env.NODE_ENV,
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
    auth: {
      publicUrl,
      secret: env.AUTH_SECRET,
      secretFile: env.AUTH_SECRET_FILE,
      google: oauthClient(env.GOOGLE_CLIENT_ID, env.GOOGLE_CLIENT_SECRET),
      github: oauthClient(env.GITHUB_CLIENT_ID, env.GITHUB_CLIENT_SECRET),
      sessionCacheTtlMs: env.SESSION_CACHE_TTL_MS,
      adminEmails: env.ADMIN_EMAILS.map((email) => email.toLowerCase()),
      trustedOrigins: [
        ...new Set([
          new URL(publicUrl).origin,
          ...(env.PUBLIC_URL ? [] : loopbackAliases(publicUrl)),
          ...env.CORS_ORIGINS.map((o) => new URL(o).origin),
        ]),
      ],
    },
    presence: { graceMs: env.PRESENCE_GRACE_MS, sweepIntervalMs: env.PRESENCE_SWEEP_INTERVAL_MS },
    rateLimit: {
      windowMs: env.RATE_LIMIT_WINDOW_MS,
      ipMax: env.RATE_LIMIT_IP_MAX,
      actorMax: env.RATE_LIMIT_ACTOR_MAX,
      signInMax: env.RATE_LIMIT_SIGN_IN_MAX,
      joinLookupMax: env.RATE_LIMIT_JOIN_LOOKUP_MAX,
    },
    realtime: {
      eventsPerSecond: env.REALTIME_EVENTS_PER_SECOND,
      eventBurst: env.REALTIME_EVENT_BURST,
      floodDisconnectAfter: env.REALTIME_FLOOD_DISCONNECT_AFTER,
      connectionsPerMinute: env.REALTIME_CONNECTIONS_PER_MINUTE,
      coalesceMs: env.REALTIME_COALESCE_MS,
    },
    metricsToken: env.METRICS_TOKEN,
    webClientDir: resolve(env.WEB_CLIENT_DIR ?? join(projectRoot(), "dist", "web")),
    qa: {
      questionsPerMinute: env.QA_QUESTIONS_PER_MINUTE,
      votesPerMinute: env.QA_VOTES_PER_MINUTE,
      editWindowMs: env.QA_EDIT_WINDOW_MS,
    },
    media: {
      stunUrls: env.ICE_STUN_URLS,
      turnUrls: env.TURN_URLS,
      turnSecret: env.TURN_SECRET,
      turnCredentialTtlS: env.TURN_CREDENTIAL_TTL_S,
      attendeeSignaling: {
        eventsPerSecond: env.SIGNALING_EVENTS_PER_SECOND,
        eventBurst: env.SIGNALING_EVENT_BURST,
      },
      presenterSignaling: {
        eventsPerSecond: env.SIGNALING_PRESENTER_EVENTS_PER_SECOND,
        eventBurst: env.SIGNALING_PRESENTER_EVENT_BURST,
      },
      statsIntervalMs: env.MEDIA_STATS_INTERVAL_MS,
      qualitySummaryMs: env.MEDIA_QUALITY_SUMMARY_MS,
    },
  };
}

/** Where a browser on this machine reaches the server: its own address, or localhost for a wildcard one. */
/**
 * Without PUBLIC_URL (development on one machine), the page may be opened as http://localhost:<port> as well as
 * http://127.0.0.1:<port>: both are this machine, and trusting both spares a newcomer a refused sign-in.
 */
function loopbackAliases(publicUrl: string): string[] {
  const url = new URL(publicUrl);
  const names = ["127.0.0.1", "localhost"];
  if (!names.includes(url.hostname)) return [];
  return names.map((name) => `${url.protocol}//${name}${url.port ? `:${url.port}` : ""}`);
}

function defaultPublicUrl(host: string, port: number): string {
  const reachable =
    host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  return `http://${reachable}:${port}`;
}

/** Both halves of an OAuth client, or neither: each pair is [variable name, value]. */
function oauthPairProblems(
  [idName, id]: [string, string | undefined],
  [secretName, secret]: [string, string | undefined],
): string[] {
  if (Boolean(id) === Boolean(secret)) return [];
  return id
    ? [`${secretName}: required when ${idName} is set`]
    : [`${idName}: required when ${secretName} is set`];
}

function oauthClient(
  clientId: string | undefined,
  clientSecret: string | undefined,
): OAuthClient | undefined {
  return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}

// URLs may carry passwords: never echo them back in an error message.
function redact(name: string, value: string | undefined): string | undefined {
  return name.endsWith("_URL") || name.endsWith("_SECRET") || name.endsWith("_TOKEN") ? "<redacted>" : value;
}
