import type { IncomingMessage, ServerResponse } from "node:http";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawServerDefault,
} from "fastify";
import { validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "./config/env.js";
import type { DatabaseHandle } from "./db/client.js";
import { serializerCompiler } from "./plugins/serializer.js";
import { requestLogger } from "./config/request-logger.js";
import { appVersion } from "./lib/version.js";
import { healthRoutes } from "./modules/health/health.routes.js";
import { createHealthService, type DependencyCheck } from "./modules/health/health.service.js";
import { createAuthServices, type AuthServices } from "./modules/auth/auth.services.js";
import { createAccounts } from "./modules/auth/accounts.service.js";
import { meRoutes } from "./modules/auth/me.routes.js";
import { signInMethodsRoutes } from "./modules/auth/sign-in-methods.routes.js";
import { devSignInEnabled } from "./modules/auth/auth.instance.js";
import { apiKeyRoutes } from "./modules/auth/api-keys.routes.js";
import { sessionMemberRoutes } from "./modules/sessions/session-members.routes.js";
import { sessionRoutes } from "./modules/sessions/sessions.routes.js";
import { createSessions } from "./modules/sessions/sessions.service.js";
import { createSessionMembers } from "./modules/sessions/session-members.service.js";
import { createSessionAccess } from "./modules/sessions/session-access.service.js";
import { attendanceRoutes } from "./modules/attendees/attendance.routes.js";
import { createAttendance } from "./modules/attendees/attendees.join.js";
import { attendeeRoutes } from "./modules/attendees/attendees.routes.js";
import { startPresenceSweeper } from "./modules/attendees/presence-sweeper.js";
import { createAttendeeModeration } from "./modules/attendees/attendees.service.js";
import auth from "./plugins/auth.js";
import metrics from "./plugins/metrics.js";
import type { Publish } from "./lib/domain-events.js";
import { createRealtime, type Realtime } from "./realtime/io.js";
import { createSnapshots, snapshotHandler } from "./realtime/snapshot.js";
import { createQuestions } from "./modules/questions/questions.service.js";
import { createQuestionAuthors } from "./modules/questions/questions.authors.js";
import { createQuestionTallies } from "./modules/questions/questions.tallies.js";
import { createQuestionLimits } from "./modules/questions/questions.limits.js";
import { questionRoutes } from "./modules/questions/questions.routes.js";
import { submitHandler, voteHandler } from "./modules/questions/questions.socket.js";
import { presenceReportHandler } from "./modules/attendees/attendees.socket.js";
import { createSignaling } from "./modules/signaling/signaling.service.js";
import { signalingHandlers, signalingLimiters, socketOutlet } from "./modules/signaling/signaling.socket.js";
import docs from "./plugins/docs.js";
import webClient from "./plugins/web-client.js";
import { actorLimit, rateLimit } from "./plugins/rate-limit.js";
import security from "./plugins/security.js";
import errorHandler, { clientErrorHandler, frameworkErrorHandler } from "./plugins/error-handler.js";
import requestContext, { requestId, type Lifecycle } from "./plugins/request-context.js";

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  redis?: Redis;
  logger: Logger;
}

declare module "fastify" {
  interface FastifyInstance {
    lifecycle: Lifecycle;
    /** Identity services of this instance, for what is not an HTTP route (the real-time handshake, tests). */
    authServices: AuthServices;
    /** Socket.io on this app's HTTP server, and the publisher services announce changes through. */
    realtime: Realtime;
  }
}

/**
 * Builds the HTTP application. Plugins register in a fixed order: Fastify's own settings, then cross-cutting
 * plugins (errors, request context, docs), then one plugin per domain module with its dependencies passed in.
 */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, database, redis, logger } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    childLoggerFactory: (parent, bindings, options) => requestLogger(parent as Logger, bindings, options),
    genReqId: requestId,
    // Request lines are written by the request-context plugin (route, status, duration; no query string).
    logController: new LogController({ requestIdLogLabel: "requestId", disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    // A hop count becomes proxy-addr's function form (Fastify's types do not list numbers).
    trustProxy:
      typeof config.trustProxy === "number"
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
    // Requests arriving while draining get our problem+json 503 (below) instead of Fastify's plain one.
    return503OnClosing: false,
    forceCloseConnections: "idle",
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API speaks JSON only: a text/plain body is refused with 415 instead of reaching validation as a string.
  app.removeContentTypeParser("text/plain");
  const lifecycle: Lifecycle = { shuttingDown: false };
  app.decorate("lifecycle", lifecycle);

  const secret = config.auth.secret;
  if (!secret)
    throw new Error("buildApp needs config.auth.secret (startServer resolves it with resolveAuthSecret)");
  const authServices = createAuthServices({ config, secret, db: database.db, redis, logger });
  await authServices.start();
  app.decorate("authServices", authServices);
  // Services announce committed changes through this; the real-time layer, built below, sends them out.
  const outlet: { realtime?: Realtime } = {};
  const publish: Publish = (event) => outlet.realtime?.publisher.publish(event);
  const stopSweeper = startPresenceSweeper({
    db: database.db,
    graceMs: config.presence.graceMs,
    intervalMs: config.presence.sweepIntervalMs,
    logger,
    publish,
  });
  app.addHook("onClose", async () => stopSweeper());
  app.addHook("onClose", () => authServices.close());

  await app.register(errorHandler);
  await app.register(requestContext, { lifecycle });
  await app.register(security, { trustedOrigins: config.auth.trustedOrigins });
  await app.register(rateLimit, { config: config.rateLimit, redis });
  await app.register(docs, { version: appVersion });
  await app.register(auth, {
    auth: authServices.auth,
    authenticator: authServices.authenticator,
    generation: authServices.generation,
    publicUrl: config.auth.publicUrl,
    trustedOrigins: config.auth.trustedOrigins,
  });
  await app.register(actorLimit, { config: config.rateLimit, redis });
  await app.register(metrics, { token: config.metricsToken });
  await app.register(webClient, { dir: config.webClientDir });

  const checks: DependencyCheck[] = [{ name: "database", check: () => database.pool.query("select 1") }];
  if (redis) checks.push({ name: "redis", check: () => redis.ping() });
  const health = createHealthService({
    checks,
    timeoutMs: config.health.checkTimeoutMs,
    version: appVersion,
    isShuttingDown: () => lifecycle.shuttingDown,
  });
  await app.register(healthRoutes, { health });

  const sessionAccess = createSessionAccess({ db: database.db });
  const accounts = createAccounts({ db: database.db });
  await app.register(meRoutes, { accounts });
  await app.register(signInMethodsRoutes, {
    methods: {
      providers: [
        ...(config.auth.google ? ["google" as const] : []),
        ...(config.auth.github ? ["github" as const] : []),
      ],
      devSignIn: devSignInEnabled(config),
    },
  });
  await app.register(apiKeyRoutes, { keys: authServices.apiKeys });
  const sessions = createSessions({ db: database.db, sessionAccess, accounts, publish });
  authServices.setRemovals({
    workspace: (workspaceId) => sessions.removeAllIn({ workspaceId }),
    user: (ownerId) => sessions.removeAllIn({ ownerId }),
    userRemovable: (ownerId) => sessions.assertRemovable({ ownerId }),
  });
  const attendance = createAttendance({ db: database.db, tokens: authServices.attendeeTokens, publish });
  await app.register(sessionRoutes, {
    sessions,
    joinLookup: { max: config.rateLimit.joinLookupMax, windowMs: config.rateLimit.windowMs },
  });
  await app.register(sessionMemberRoutes, {
    members: createSessionMembers({ db: database.db, sessionAccess, accounts }),
  });
  await app.register(attendanceRoutes, { attendance });
  await app.register(attendeeRoutes, {
    questionAuthors: createQuestionAuthors({ db: database.db, sessionAccess }),
    moderation: createAttendeeModeration({
      db: database.db,
      sessionAccess,
      revocations: authServices.revocations,
      logger,
      publish,
    }),
  });

  const tallies = createQuestionTallies({
    db: database.db,
    intervalMs: config.realtime.coalesceMs,
    logger,
    publish,
  });
  app.addHook("onClose", () => tallies.close());
  const questions = createQuestions({
    db: database.db,
    sessionAccess,
    tallies,
    limits: createQuestionLimits({
      questionsPerMinute: config.qa.questionsPerMinute,
      votesPerMinute: config.qa.votesPerMinute,
      redis,
    }),
    editWindowMs: config.qa.editWindowMs,
    publish,
  });
  await app.register(questionRoutes, { questions });

  const snapshotOf = createSnapshots({ sessions, questions });
  const signaling = createSignaling({
    db: database.db,
    sessions,
    outlet: socketOutlet(() => outlet.realtime?.io),
    config: config.media,
    logger,
  });
  const signalingBudget = signalingLimiters({
    ...config.media,
    floodDisconnectAfter: config.realtime.floodDisconnectAfter,
  });
  const live = createRealtime({
    httpServer: app.server,
    config,
    redis,
    logger,
    registry: app.metrics,
    authenticator: authServices.authenticator,
    sessionAccess,
    sessions,
    attendance,
    snapshotOf,
    handlers: {
      "session:snapshot": snapshotHandler(snapshotOf),
      "presence:report": presenceReportHandler(attendance),
      "question:submit": submitHandler(questions),
      "question:vote": voteHandler(questions),
      ...signalingHandlers(signaling),
    },
    limiters: signalingBudget.limiters,
    onSocketClosed(socket, lastOfPeer) {
      signalingBudget.forget(socket.id);
      signaling
        .socketClosed(socket.data, lastOfPeer)
        .catch((error: unknown) => logger.warn({ err: error }, "media peer cleanup failed"));
    },
  });
  outlet.realtime = live;
  app.decorate("realtime", live);
  // Sockets close before the HTTP server does: an open WebSocket would hold its close forever.
  app.addHook("preClose", () => live.close());
  app.addHook("onClose", () => signaling.close());

  return app;
}
