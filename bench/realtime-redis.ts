/**
 * The real-time benchmark's Redis mode (realtime-bench.ts): 2 Podium instances sharing PostgreSQL and a private
 * Redis beside 2 raw Socket.io servers with the Redis adapter, REST change → receipt on every socket.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, waitFor200, type Child } from "./children.js";
import { PODIUM_ENTRY, startPodium, type DatabaseTarget } from "./podium.js";
import type { ModeResult, RealtimeSettings } from "./realtime-bench.js";
import type { ConnectResult } from "./realtime-client.js";
import { latencySides, measureLatency } from "./realtime-latency.js";
import {
  attendeeSockets,
  createLiveSession,
  dropSession,
  broadcastCounts,
  countsSince,
  expectConnected,
  joinAttendees,
  NO_PROVIDER,
  nulls,
  rawSockets,
  REALTIME_SERVER_ENV,
  SETTLE_MS,
  sharedDatabaseUrl,
  signInHost,
  startPrivateRedis,
  startRaw,
  waitForSockets,
  type ClientProcess,
} from "./realtime-setup.js";

/**
 * Two instances of each: Podium A (owner of the embedded PostgreSQL, or on DATABASE_URL) and B on the same
 * database, both on a private Redis; raw A and B on the same Redis with their own adapter key. Sockets alternate
 * A, B; the trigger goes to A.
 */
export async function measureTwoInstances(
  target: DatabaseTarget,
  settings: RealtimeSettings,
  flags: string[],
  client: ClientProcess,
  servers: Child[],
  tag: string,
  log: (line: string) => void,
): Promise<ModeResult> {
  log(`  two instances each, sharing PostgreSQL and a private Redis…`);
  const redis = await startPrivateRedis();
  servers.push(redis.child);
  const embeddedPort = await freePort();
  const redisEnv = { ...REALTIME_SERVER_ENV, ...NO_PROVIDER, REDIS_URL: redis.url };
  const a = await startPodium("podium A (realtime, Redis)", target, {
    args: [...flags, PODIUM_ENTRY],
    env: { ...redisEnv, EMBEDDED_PG_PORT: String(embeddedPort) },
  });
  servers.push(a.child);
  await waitFor200(`${a.url}/api/health`, a.child, 120_000);
  const publicUrl = process.env.PUBLIC_URL || a.url;
  const b = await startPodium("podium B (realtime, Redis)", target, {
    args: [...flags, PODIUM_ENTRY],
    // Same issuer as A (attendee tokens name PUBLIC_URL), A's database.
    env: { ...redisEnv, PUBLIC_URL: publicUrl, DATABASE_URL: await sharedDatabaseUrl(target, embeddedPort) },
  });
  servers.push(b.child);
  await waitFor200(`${b.url}/api/health`, b.child, 120_000);
  const rawDatabase = await sharedDatabaseUrl(target, embeddedPort);
  const rawA = await startRaw("realtime-raw A (Redis)", flags, rawDatabase, redis.url);
  servers.push(rawA.child);
  const rawB = await startRaw("realtime-raw B (Redis)", flags, rawDatabase, redis.url);
  servers.push(rawB.child);

  const host = await signInHost(a.url, publicUrl, `realtime-host-redis-${tag}@example.test`);
  const session = await createLiveSession(a.url, host, `Realtime bench (Redis) ${tag}`, settings.attendees);
  const sessionId = session.id;
  log(`  ${settings.attendees} attendees join over HTTP (instance A), sockets split across A and B…`);
  const tokens = await joinAttendees(a.url, sessionId, settings.attendees, "Attendee");
  const connect = {
    raw: expectConnected(
      await client.call<ConnectResult>("/connect", {
        group: "raw2",
        urls: [rawA.url, rawB.url],
        sessionId,
        tokens: nulls(settings.attendees),
      }),
      "raw (2 instances)",
    ),
    podium: expectConnected(
      await client.call<ConnectResult>("/connect", {
        group: "podium2",
        urls: [a.url, b.url],
        sessionId,
        tokens,
      }),
      "Podium (2 instances)",
    ),
  };
  await waitForSockets(
    [() => attendeeSockets(a.url), () => attendeeSockets(b.url)],
    settings.attendees,
    "Podium A + B",
  );
  await waitForSockets(
    [() => rawSockets(rawA.url), () => rawSockets(rawB.url)],
    settings.attendees,
    "raw A + B",
  );
  await sleep(SETTLE_MS);
  const eventsBefore = await broadcastCounts([a.url, b.url]);
  const latency = await measureLatency(
    client,
    latencySides({
      groups: { podium: "podium2", raw: "raw2" },
      urls: { podium: a.url, raw: rawA.url },
      pids: {
        podium: [a.child.pid, b.child.pid, redis.child.pid],
        raw: [rawA.child.pid, rawB.child.pid, redis.child.pid],
      },
      sessionId,
      hostToken: host,
      askerTokens: tokens,
      template: session.state,
    }),
    settings,
    "redis",
    log,
    rawDatabase,
  );
  const eventsOut = countsSince(eventsBefore, await broadcastCounts([a.url, b.url]));
  await client.call("/close", { group: "podium2" });
  await client.call("/close", { group: "raw2" });
  await dropSession(a.url, host, sessionId);
  return { mode: "redis", instances: 2, ...latency, eventsOut, connect };
}
