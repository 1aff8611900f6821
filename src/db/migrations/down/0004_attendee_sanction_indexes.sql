DROP INDEX IF EXISTS "attendees_banned_at_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "attendees_removed_at_idx";
