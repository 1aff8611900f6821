-- session_events is an append-only log: a row, once written, is never changed.
CREATE FUNCTION "session_events_refuse_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'session_events is append-only: UPDATE is not allowed' USING ERRCODE = 'restrict_violation';
END;
$$;--> statement-breakpoint
CREATE TRIGGER "session_events_append_only" BEFORE UPDATE ON "session_events"
  FOR EACH ROW EXECUTE FUNCTION "session_events_refuse_update"();
