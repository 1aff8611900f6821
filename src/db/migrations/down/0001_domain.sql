DROP TABLE IF EXISTS "session_events";--> statement-breakpoint
DROP TABLE IF EXISTS "session_analytics_minutes";--> statement-breakpoint
DROP TABLE IF EXISTS "session_analytics";--> statement-breakpoint
DROP TABLE IF EXISTS "question_votes";--> statement-breakpoint
DROP TABLE IF EXISTS "questions";--> statement-breakpoint
DROP TABLE IF EXISTS "attendees";--> statement-breakpoint
DROP TABLE IF EXISTS "session_members";--> statement-breakpoint
DROP TABLE IF EXISTS "sessions";--> statement-breakpoint
DROP TYPE IF EXISTS "public"."actor_type";--> statement-breakpoint
DROP TYPE IF EXISTS "public"."question_status";--> statement-breakpoint
DROP TYPE IF EXISTS "public"."attendee_status";--> statement-breakpoint
DROP TYPE IF EXISTS "public"."session_status";--> statement-breakpoint
DROP TYPE IF EXISTS "public"."session_member_role";
