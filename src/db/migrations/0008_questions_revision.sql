ALTER TABLE "sessions" ADD COLUMN "questions_revision" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- A question added, removed, or changing its text or status moves its session's revision on. An ask compares a new
-- question with the session's recent ones remembered from an earlier read, and writes it only while the revision
-- is still the one those were read at (questions.repository.ts): the comparison was made with what is stored. Votes
-- and tallies change neither text nor status and leave it alone.
CREATE FUNCTION "questions_bump_revision"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "sessions" SET "questions_revision" = "questions_revision" + 1
    WHERE "id" = CASE WHEN TG_OP = 'DELETE' THEN OLD."session_id" ELSE NEW."session_id" END;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "questions_revision" AFTER INSERT OR DELETE OR UPDATE OF "text", "status" ON "questions"
  FOR EACH ROW EXECUTE FUNCTION "questions_bump_revision"();
