DROP INDEX IF EXISTS "sessions_owner_created_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "sessions_workspace_created_idx";
