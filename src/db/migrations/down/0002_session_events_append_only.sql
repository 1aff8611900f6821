DROP TRIGGER IF EXISTS "session_events_append_only" ON "session_events";--> statement-breakpoint
DROP FUNCTION IF EXISTS "session_events_refuse_update"();
