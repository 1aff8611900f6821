DROP TABLE IF EXISTS "media_quality_minutes";--> statement-breakpoint
DROP TABLE IF EXISTS "media_links";
