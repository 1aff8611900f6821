import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { freePort } from "../../test/helpers/ports.js";
import { startEmbeddedPostgres } from "./embedded.js";

describe("embedded PostgreSQL", () => {
  it("creates its cluster inside a private (0700) folder, serves PostgreSQL 15, restarts on the same data", async () => {
    const privateFolder = await mkdtemp(join(tmpdir(), "podium-private-"));
    await chmod(privateFolder, 0o700);
    const dataDir = join(privateFolder, "data", "postgres");
    const port = await freePort();
    try {
      const first = await startEmbeddedPostgres({ dataDir, port });
      expect(first.initialised).toBe(true);
      const client = new pg.Client(first.url);
      await client.connect();
      const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
      await client.query("create table kept (id int)");
      await client.end();
      expect(Number(rows[0]?.v)).toBeGreaterThanOrEqual(150000);
      expect(Number(rows[0]?.v)).toBeLessThan(160000);
      await first.stop();

      const second = await startEmbeddedPostgres({ dataDir, port });
      expect(second.initialised).toBe(false);
      const again = new pg.Client(second.url);
      await again.connect();
      expect((await again.query("select to_regclass('public.kept') as t")).rows[0].t).toBe("kept");
      await again.end();
      await second.stop();
      expect(await readFile(join(dataDir, "PG_VERSION"), "utf8")).toMatch(/^15/);
    } finally {
      await rm(privateFolder, { recursive: true, force: true });
    }
  });
});
