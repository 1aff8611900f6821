DROP TRIGGER IF EXISTS "attendees_seats" ON "attendees";--> statement-breakpoint
DROP FUNCTION IF EXISTS "attendees_take_or_free_seat"();--> statement-breakpoint
ALTER TABLE "sessions" DROP CONSTRAINT "sessions_attendees_present_non_negative";--> statement-breakpoint
ALTER TABLE "sessions" DROP COLUMN "attendees_peak";--> statement-breakpoint
ALTER TABLE "sessions" DROP COLUMN "attendees_present";
