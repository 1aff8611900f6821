// `npm run db:check`: fails when a landed migration was edited or when the schema and the SQL disagree.
import { checkMigrationHistory, checkSchemaMatchesMigrations } from "./migration-checks.js";

const root = process.cwd();
const history = await checkMigrationHistory(root);
const drift = await checkSchemaMatchesMigrations(root);
for (const problem of history) console.error(`migration history: ${problem}`);
if (drift.length > 0) {
  console.error(
    `schema drift: drizzle-kit would generate ${drift.join(", ")}; run \`npm run db:generate\` and commit the migration ` +
      "(with its down migration in src/db/migrations/down/).",
  );
}
if (history.length > 0 || drift.length > 0) process.exit(1);
console.log("migrations: history intact, schema and SQL agree");
