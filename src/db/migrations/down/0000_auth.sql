DROP TABLE IF EXISTS "api_keys";--> statement-breakpoint
DROP TABLE IF EXISTS "workspace_invitations";--> statement-breakpoint
DROP TABLE IF EXISTS "workspace_members";--> statement-breakpoint
DROP TABLE IF EXISTS "workspaces";--> statement-breakpoint
DROP TABLE IF EXISTS "auth_verifications";--> statement-breakpoint
DROP TABLE IF EXISTS "auth_accounts";--> statement-breakpoint
DROP TABLE IF EXISTS "auth_sessions";--> statement-breakpoint
DROP TABLE IF EXISTS "users";
