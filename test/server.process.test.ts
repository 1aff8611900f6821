import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { freePort } from "./helpers/ports.js";
import { exitWithin, spawnServer, stopServerProcess, waitForStatus } from "./helpers/process.js";

// The waits below, added up, fit in TEST_TIMEOUT_MS: a start (up to STARTUP_MS on a loaded machine: tsx, initdb
// and migrations for an embedded PostgreSQL), up to OUTAGE_MS for a state change, up to EXIT_MS for a drain.
const STARTUP_MS = 60_000;
const OUTAGE_MS = 15_000;
const EXIT_MS = 10_000;
const TEST_TIMEOUT_MS = 90_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });

/**
 * `spawnServer`, stopped after the test whatever happened (passed, failed or timed out: onTestFinished runs
 * in every case, within its own hook timeout): SIGTERM, then SIGKILL, then the orphaned embedded PostgreSQL,
 * then its data directory.
 */
function spawnStopped(env: Record<string, string>, dataDir?: string) {
  const server = spawnServer(env);
  onTestFinished(() => stopServerProcess(server, { dataDir }));
  return server;
}

/** The server with no DATABASE_URL, on an embedded PostgreSQL in a fresh folder and free ports. */
async function spawnEmbedded(env: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), "podium-embedded-"));
  const [port, pgPort] = [await freePort(), await freePort()];
  const server = spawnStopped(
    { PORT: String(port), EMBEDDED_PG_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), ...env },
    dataDir,
  );
  return { dataDir, port, pgPort, server };
}

describe("the server process", { timeout: TEST_TIMEOUT_MS }, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.drop());

  it("serves on DATABASE_URL and exits 0 on SIGTERM after draining", async () => {
    const port = await freePort();
    const server = spawnStopped({ DATABASE_URL: database.url, PORT: String(port) });
    const res = await waitForStatus(`http://127.0.0.1:${port}/api/health`, 200, STARTUP_MS);
    expect(((await res.json()) as { checks: { database: { status: string } } }).checks.database.status).toBe(
      "up",
    );
    server.child.kill("SIGTERM");
    expect(await exitWithin(server, EXIT_MS)).toBe(0);
    expect(server.output()).toMatch(/"msg":"shutdown complete"/);
    expect(await portOpen(port)).toBe(false);
  });

  it("with no DATABASE_URL starts an embedded PostgreSQL, migrates, serves, and stops it on SIGINT", async () => {
    const { dataDir, port, pgPort, server } = await spawnEmbedded();
    const res = await waitForStatus(`http://127.0.0.1:${port}/api/health`, 200, STARTUP_MS);
    expect(((await res.json()) as { checks: { database: { status: string } } }).checks.database.status).toBe(
      "up",
    );
    expect(server.output()).toMatch(/embedded PostgreSQL started/);
    expect(server.output()).toMatch(/"migration":"0000_auth"/);
    expect(server.output()).not.toMatch(/podium:podium@/); // the password is masked in logs
    expect(await readFile(join(dataDir, "PG_VERSION"), "utf8")).toMatch(/^15/);
    expect(await portOpen(pgPort)).toBe(true);

    server.child.kill("SIGINT");
    expect(await exitWithin(server, EXIT_MS)).toBe(0);
    expect(await portOpen(pgPort)).toBe(false);
  });

  it("turns /api/health to 503 when its embedded PostgreSQL is really stopped", async () => {
    const { dataDir, port, server } = await spawnEmbedded({ HEALTH_CHECK_TIMEOUT_MS: "1000" });
    await waitForStatus(`http://127.0.0.1:${port}/api/health`, 200, STARTUP_MS);
    const postmaster = Number((await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
    process.kill(postmaster, "SIGINT"); // PostgreSQL's "fast shutdown"
    const down = await waitForStatus(`http://127.0.0.1:${port}/api/health`, 503, OUTAGE_MS);
    expect(
      ((await down.json()) as { checks: { database: { status: string } } }).checks.database,
    ).toMatchObject({ status: "down" });
    expect((await fetch(`http://127.0.0.1:${port}/api/health/live`)).status).toBe(200);
    // Only once PostgreSQL is completely gone: shutting down must not wait for a database that died.
    const deadline = Date.now() + OUTAGE_MS;
    while (existsSync(join(dataDir, "postmaster.pid")) && Date.now() < deadline) await sleep(100);
    expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);
    server.child.kill("SIGTERM");
    expect(await exitWithin(server, EXIT_MS)).toBe(0);
    expect(server.output()).toMatch(/"msg":"shutdown complete"/);
  });

  it("says what is wrong when the embedded database's port is taken", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => blocker.once("listening", resolve));
    try {
      const pgPort = (blocker.address() as AddressInfo).port;
      const { server } = await spawnEmbedded({ EMBEDDED_PG_PORT: String(pgPort) });
      expect(await exitWithin(server, STARTUP_MS)).toBe(1);
      expect(server.output()).toContain(`port ${pgPort} is already in use`);
      expect(server.output()).not.toMatch(/failed to start: undefined/);
    } finally {
      blocker.close();
    }
  });

  it("refuses to start with a bad variable, naming it", async () => {
    const server = spawnStopped({ PORT: "not-a-port" });
    expect(await exitWithin(server, STARTUP_MS)).toBe(78);
    expect(server.output()).toMatch(/PORT: /);
  });

  it("refuses to start in production without an OAuth provider, a secret or a public URL", async () => {
    const server = spawnStopped({
      NODE_ENV: "production",
      DATABASE_URL: database.url,
      PORT: String(await freePort()),
    });
    expect(await exitWithin(server, STARTUP_MS)).toBe(78);
    expect(server.output()).toMatch(
      /GOOGLE_CLIENT_ID \/ GITHUB_CLIENT_ID: production needs at least one OAuth provider/,
    );
    expect(server.output()).toMatch(/AUTH_SECRET: required in production/);
    expect(server.output()).toMatch(/PUBLIC_URL: required in production/);
  });
});
