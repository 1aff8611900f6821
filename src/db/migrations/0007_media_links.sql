CREATE TABLE "media_links" (
	"attendee_id" uuid PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"presenter_peer_id" text,
	"ready_at" timestamp with time zone,
	"requested_at" timestamp with time zone,
	"connected_at" timestamp with time zone,
	"connect_ms" integer,
	"attendee_state" text DEFAULT 'new' NOT NULL,
	"attendee_state_at" timestamp with time zone,
	"presenter_state" text DEFAULT 'new' NOT NULL,
	"presenter_state_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"ice_restarts" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "media_links_states" CHECK ("media_links"."attendee_state" in ('new','connecting','connected','disconnected','failed','closed') and "media_links"."presenter_state" in ('new','connecting','connected','disconnected','failed','closed'))
);
--> statement-breakpoint
CREATE TABLE "media_quality_minutes" (
	"session_id" uuid NOT NULL,
	"attendee_id" uuid NOT NULL,
	"reporter" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"reports" integer NOT NULL,
	"rtt_ms" real,
	"rtt_max_ms" real,
	"jitter_ms" real,
	"packet_loss_pct" real,
	"packet_loss_max_pct" real,
	"bitrate_kbps" real,
	"fps" real,
	CONSTRAINT "media_quality_minutes_session_id_attendee_id_reporter_minute_pk" PRIMARY KEY("session_id","attendee_id","reporter","minute"),
	CONSTRAINT "media_quality_minutes_reporter" CHECK ("media_quality_minutes"."reporter" in ('attendee','presenter'))
);
--> statement-breakpoint
ALTER TABLE "media_links" ADD CONSTRAINT "media_links_attendee_id_attendees_id_fk" FOREIGN KEY ("attendee_id") REFERENCES "public"."attendees"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "media_links" ADD CONSTRAINT "media_links_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "media_quality_minutes" ADD CONSTRAINT "media_quality_minutes_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "media_quality_minutes" ADD CONSTRAINT "media_quality_minutes_attendee_id_attendees_id_fk" FOREIGN KEY ("attendee_id") REFERENCES "public"."attendees"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "media_links_session_ready_idx" ON "media_links" USING btree ("session_id") WHERE "media_links"."ready_at" is not null;--> statement-breakpoint
CREATE INDEX "media_quality_minutes_session_minute_idx" ON "media_quality_minutes" USING btree ("session_id","minute");