DROP TRIGGER IF EXISTS "questions_revision" ON "questions";--> statement-breakpoint
DROP FUNCTION IF EXISTS "questions_bump_revision"();--> statement-breakpoint
ALTER TABLE "sessions" DROP COLUMN "questions_revision";
