ALTER TABLE "sessions" ADD COLUMN "attendees_present" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "attendees_peak" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_attendees_present_non_negative" CHECK ("sessions"."attendees_present" >= 0);--> statement-breakpoint
UPDATE "sessions" SET "attendees_present" = present.n, "attendees_peak" = present.n
FROM (
  SELECT "session_id", count(*)::int AS n FROM "attendees"
  WHERE "status" IN ('connected', 'reconnecting') GROUP BY "session_id"
) AS present
WHERE "sessions"."id" = present."session_id";--> statement-breakpoint
-- A seat is taken when an attendee becomes present (connected or reconnecting) and freed when it stops being
-- present. Taking one is a single conditional UPDATE of the session row, so concurrent joins queue on that row
-- only for the length of their own statement, and capacity holds exactly. A refused seat raises PD001 (full),
-- PD002 (ended) or PD003 (not open yet, or gone), which the application turns into its error codes.
CREATE FUNCTION "attendees_take_or_free_seat"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_present boolean := TG_OP <> 'INSERT' AND OLD."status" IN ('connected', 'reconnecting');
  is_present boolean := TG_OP <> 'DELETE' AND NEW."status" IN ('connected', 'reconnecting');
  target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD."session_id" ELSE NEW."session_id" END;
  target_status "session_status";
BEGIN
  IF was_present = is_present THEN
    RETURN NULL;
  END IF;
  IF was_present THEN
    UPDATE "sessions" SET "attendees_present" = "attendees_present" - 1 WHERE "id" = target;
    RETURN NULL;
  END IF;
  UPDATE "sessions"
    SET "attendees_present" = "attendees_present" + 1,
        "attendees_peak" = greatest("attendees_peak", "attendees_present" + 1)
    WHERE "id" = target AND "attendees_present" < "capacity" AND "status" IN ('scheduled', 'live');
  IF FOUND THEN
    RETURN NULL;
  END IF;
  SELECT "status" INTO target_status FROM "sessions" WHERE "id" = target;
  IF target_status IN ('scheduled', 'live') THEN
    RAISE EXCEPTION 'session % is full', target USING ERRCODE = 'PD001';
  END IF;
  IF target_status = 'ended' THEN
    RAISE EXCEPTION 'session % has ended', target USING ERRCODE = 'PD002';
  END IF;
  RAISE EXCEPTION 'session % is not open', target USING ERRCODE = 'PD003';
END;
$$;--> statement-breakpoint
CREATE TRIGGER "attendees_seats" AFTER INSERT OR DELETE OR UPDATE OF "status" ON "attendees"
  FOR EACH ROW EXECUTE FUNCTION "attendees_take_or_free_seat"();
