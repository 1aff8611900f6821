// Entry point for better-auth's schema generator only (`npm run auth:generate`); never imported by the app.
import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { authSchemaOptions } from "../src/modules/auth/auth.schema-options.js";

export const auth = betterAuth({
  ...authSchemaOptions,
  database: drizzleAdapter({} as never, { provider: "pg" }),
});
