import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./global-setup.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { spawnServer, waitForStatus } from "./helpers/process.js";

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });

/** The server with no DATABASE_URL, on an embedded PostgreSQL in a fresh folder and free ports. */
async function spawnEmbedded(env: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), "podium-embedded-"));
  const [port, pgPort] = [await freePort(), await freePort()];
  const server = spawnServer({
    PORT: String(port),
    EMBEDDED_PG_DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(pgPort),
    ...env,
  });
  return { dataDir, port, pgPort, server };
}

describe("the server process", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.drop());

  it("serves on DATABASE_URL and exits 0 on SIGTERM after draining", async () => {
    const port = await freePort();
    const server = spawnServer({ DATABASE_URL: database.url, PORT: String(port) });
    try {
      const res = await waitForStatus(`http://127.0.0.1:${port}/api/health`);
      expect(
        ((await res.json()) as { checks: { database: { status: string } } }).checks.database.status,
      ).toBe("up");
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(server.output()).toMatch(/"msg":"shutdown complete"/);
      expect(await portOpen(port)).toBe(false);
    } finally {
      server.child.kill("SIGKILL");
    }
  });

  it("with no DATABASE_URL starts an embedded PostgreSQL, migrates, serves, and stops it on SIGINT", async () => {
    const { dataDir, port, pgPort, server } = await spawnEmbedded();
    try {
      const res = await waitForStatus(`http://127.0.0.1:${port}/api/health`, 200, 60_000);
      expect(
        ((await res.json()) as { checks: { database: { status: string } } }).checks.database.status,
      ).toBe("up");
      expect(server.output()).toMatch(/embedded PostgreSQL started/);
      expect(server.output()).toMatch(/"migration":"0000_auth"/);
      expect(server.output()).not.toMatch(/podium:podium@/); // the password is masked in logs
      expect(await readFile(join(dataDir, "PG_VERSION"), "utf8")).toMatch(/^15/);
      expect(await portOpen(pgPort)).toBe(true);

      server.child.kill("SIGINT");
      expect(await server.exited).toBe(0);
      expect(await portOpen(pgPort)).toBe(false);
    } finally {
      server.child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("turns /api/health to 503 when its embedded PostgreSQL is really stopped", async () => {
    const { dataDir, port, server } = await spawnEmbedded({ HEALTH_CHECK_TIMEOUT_MS: "1000" });
    try {
      await waitForStatus(`http://127.0.0.1:${port}/api/health`, 200, 60_000);
      const postmaster = Number((await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
      process.kill(postmaster, "SIGINT"); // PostgreSQL's "fast shutdown"
      const down = await waitForStatus(`http://127.0.0.1:${port}/api/health`, 503, 15_000);
      expect(
        ((await down.json()) as { checks: { database: { status: string } } }).checks.database,
      ).toMatchObject({ status: "down" });
      expect((await fetch(`http://127.0.0.1:${port}/api/health/live`)).status).toBe(200);
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses to start with a bad variable, naming it", async () => {
    const server = spawnServer({ PORT: "not-a-port" });
    expect(await server.exited).toBe(78);
    expect(server.output()).toMatch(/PORT: /);
  });
});
