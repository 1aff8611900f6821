import { apiKey } from "@better-auth/api-key";
import type { BetterAuthOptions } from "better-auth";
import { admin, bearer, organization } from "better-auth/plugins";

/** Product names for the organization plugin's tables: organizations are Podium's workspaces. */
export const workspaceSchemaOptions = {
  schema: {
    organization: { modelName: "workspaces" },
    member: { modelName: "workspace_members" },
    invitation: { modelName: "workspace_invitations" },
  },
} as const;

export const apiKeySchemaOptions = { schema: { apikey: { modelName: "api_keys" } } } as const;

/**
 * The parts of the better-auth configuration that shape the database: table names, id type and plugins.
 * The runtime auth instance (auth.instance.ts) and `npm run auth:generate` (which writes auth.table.ts) both
 * start from these, so the committed tables always match what the library expects.
 */
export const authSchemaOptions = {
  user: { modelName: "users" },
  session: { modelName: "auth_sessions" },
  account: { modelName: "auth_accounts" },
  verification: { modelName: "auth_verifications" },
  advanced: { database: { generateId: "uuid" } },
  plugins: [admin(), organization(workspaceSchemaOptions), bearer(), apiKey(apiKeySchemaOptions)],
} satisfies Omit<BetterAuthOptions, "database">;
