import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: process.env.DRIZZLE_SCHEMA ?? "./src/db/schema.ts",
  // The migration check generates into a scratch copy to see whether the schema and the SQL agree.
  out: process.env.DRIZZLE_MIGRATIONS_OUT ?? "./src/db/migrations",
  casing: "snake_case",
  strict: true,
});
