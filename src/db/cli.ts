import { loadConfig } from "../config/env.js";
import { createLogger } from "../config/logger.js";
import { createDatabase, redactUrl } from "./client.js";
import { migrate, migrationStatus, rollback } from "./migrator.js";
import { seed } from "./seed.js";
import { openDatabaseServer } from "./database-server.js";

/**
 * `npm run db:<command>`: start | migrate | rollback | status | seed. Works against DATABASE_URL, or against the
 * embedded PostgreSQL (started for the command, or kept running by `start`).
 */
const USAGE = "usage: tsx src/db/cli.ts <start|migrate|rollback|status|seed>";

async function main(command: string | undefined) {
  if (!command || !["start", "migrate", "rollback", "status", "seed"].includes(command)) {
    console.error(USAGE);
    process.exit(64);
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
  // A failed embedded start already says what is in the way (port, data directory).
  const server = await openDatabaseServer(config, logger);

  if (command === "start") {
    await migrate(server.url, { connectTimeoutMs: config.database.connectTimeoutMs });
    if (!server.embedded) {
      console.log(`DATABASE_URL (${redactUrl(server.url)}) is reachable and migrated; nothing to start.`);
      return;
    }
    console.log("embedded PostgreSQL is running and migrated");
    console.log(`DATABASE_URL=${server.url}`);
    console.log("Press Ctrl-C to stop it.");
    let stopping = false;
    const stop = () => {
      // Ctrl-C under npm arrives twice (terminal and npm): one stop is enough.
      if (stopping) return;
      stopping = true;
      server.stop().then(() => process.exit(0));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    return;
  }

  const migrateOptions = { connectTimeoutMs: config.database.connectTimeoutMs };
  try {
    if (command === "migrate") {
      const applied = await migrate(server.url, migrateOptions);
      console.log(
        applied.length ? `applied: ${applied.join(", ")}` : "nothing to migrate: the schema is up to date",
      );
    } else if (command === "rollback") {
      const undone = await rollback(server.url, migrateOptions);
      console.log(undone ? `rolled back: ${undone}` : "nothing to roll back");
    } else if (command === "status") {
      console.log(`database: ${redactUrl(server.url)}`);
      for (const m of await migrationStatus(server.url, migrateOptions))
        console.log(`${m.applied ? "applied" : "pending"}  ${m.tag}`);
    } else {
      await migrate(server.url, migrateOptions);
      const database = createDatabase({ ...config.database, url: server.url });
      try {
        const summary = await seed(database.db);
        console.log(
          `seeded: ${Object.entries(summary)
            .map(([table, n]) => `${table}=${n}`)
            .join(", ")}`,
        );
      } finally {
        await database.close();
      }
    }
  } finally {
    await server.stop();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(
    `db ${process.argv[2] ?? ""} failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
