ALTER TABLE "attendees" DROP COLUMN "removed_at";
