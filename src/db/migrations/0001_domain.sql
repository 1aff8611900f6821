CREATE TYPE "public"."session_member_role" AS ENUM('co_host', 'moderator');--> statement-breakpoint
CREATE TYPE "public"."session_status" AS ENUM('draft', 'scheduled', 'live', 'ended');--> statement-breakpoint
CREATE TYPE "public"."attendee_status" AS ENUM('connected', 'reconnecting', 'disconnected', 'left');--> statement-breakpoint
CREATE TYPE "public"."question_status" AS ENUM('pending', 'visible', 'dismissed', 'withdrawn');--> statement-breakpoint
CREATE TYPE "public"."actor_type" AS ENUM('user', 'attendee', 'api_key', 'system');--> statement-breakpoint
CREATE TABLE "session_members" (
	"session_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" "session_member_role" NOT NULL,
	"granted_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_members_session_id_user_id_pk" PRIMARY KEY("session_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"owner_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"status" "session_status" DEFAULT 'draft' NOT NULL,
	"join_code" text NOT NULL,
	"capacity" integer DEFAULT 500 NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"scheduled_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sessions_capacity_range" CHECK ("sessions"."capacity" between 1 and 100000),
	CONSTRAINT "sessions_title_length" CHECK (char_length("sessions"."title") between 1 and 200),
	CONSTRAINT "sessions_join_code_format" CHECK ("sessions"."join_code" ~ '^[A-Z0-9]{4,12}$'),
	CONSTRAINT "sessions_lifecycle_times" CHECK (("sessions"."status" in ('draft', 'scheduled') or "sessions"."started_at" is not null) and ("sessions"."status" <> 'ended' or "sessions"."ended_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "attendees" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"display_name" text NOT NULL,
	"email" text,
	"status" "attendee_status" DEFAULT 'connected' NOT NULL,
	"peer_id" text DEFAULT replace(gen_random_uuid()::text, '-', '') NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	"left_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"banned_at" timestamp with time zone,
	CONSTRAINT "attendees_display_name_length" CHECK (char_length("attendees"."display_name") between 1 and 80)
);
--> statement-breakpoint
CREATE TABLE "question_votes" (
	"question_id" uuid NOT NULL,
	"voter_id" uuid NOT NULL,
	"attendee_id" uuid,
	"user_id" uuid,
	"value" smallint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "question_votes_question_id_voter_id_pk" PRIMARY KEY("question_id","voter_id"),
	CONSTRAINT "question_votes_value" CHECK ("question_votes"."value" in (-1, 1)),
	CONSTRAINT "question_votes_one_voter" CHECK (num_nonnulls("question_votes"."attendee_id", "question_votes"."user_id") = 1 and "question_votes"."voter_id" = coalesce("question_votes"."attendee_id", "question_votes"."user_id"))
);
--> statement-breakpoint
CREATE TABLE "questions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"author_attendee_id" uuid,
	"author_user_id" uuid,
	"anonymous" boolean DEFAULT false NOT NULL,
	"text" text NOT NULL,
	"status" "question_status" DEFAULT 'visible' NOT NULL,
	"pinned" boolean DEFAULT false NOT NULL,
	"answered" boolean DEFAULT false NOT NULL,
	"answered_at" timestamp with time zone,
	"upvotes" integer DEFAULT 0 NOT NULL,
	"downvotes" integer DEFAULT 0 NOT NULL,
	"score" double precision DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"edited_at" timestamp with time zone,
	CONSTRAINT "questions_one_author" CHECK (num_nonnulls("questions"."author_attendee_id", "questions"."author_user_id") = 1),
	CONSTRAINT "questions_text_length" CHECK (char_length("questions"."text") between 1 and 2000),
	CONSTRAINT "questions_tallies_non_negative" CHECK ("questions"."upvotes" >= 0 and "questions"."downvotes" >= 0)
);
--> statement-breakpoint
CREATE TABLE "session_analytics" (
	"session_id" uuid PRIMARY KEY NOT NULL,
	"total_attendees" integer DEFAULT 0 NOT NULL,
	"peak_attendees" integer DEFAULT 0 NOT NULL,
	"questions_asked" integer DEFAULT 0 NOT NULL,
	"questions_answered" integer DEFAULT 0 NOT NULL,
	"votes_cast" integer DEFAULT 0 NOT NULL,
	"attendee_seconds" bigint DEFAULT 0 NOT NULL,
	"avg_rtt_ms" real,
	"avg_packet_loss_pct" real,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "session_analytics_minutes" (
	"session_id" uuid NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"attendees" integer DEFAULT 0 NOT NULL,
	"joins" integer DEFAULT 0 NOT NULL,
	"leaves" integer DEFAULT 0 NOT NULL,
	"questions" integer DEFAULT 0 NOT NULL,
	"votes" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "session_analytics_minutes_session_id_minute_pk" PRIMARY KEY("session_id","minute")
);
--> statement-breakpoint
CREATE TABLE "session_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "session_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"session_id" uuid NOT NULL,
	"type" text NOT NULL,
	"actor_type" "actor_type" NOT NULL,
	"actor_id" uuid,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "session_members" ADD CONSTRAINT "session_members_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_members" ADD CONSTRAINT "session_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_members" ADD CONSTRAINT "session_members_granted_by_users_id_fk" FOREIGN KEY ("granted_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attendees" ADD CONSTRAINT "attendees_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "question_votes" ADD CONSTRAINT "question_votes_question_id_questions_id_fk" FOREIGN KEY ("question_id") REFERENCES "public"."questions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "question_votes" ADD CONSTRAINT "question_votes_attendee_id_attendees_id_fk" FOREIGN KEY ("attendee_id") REFERENCES "public"."attendees"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "question_votes" ADD CONSTRAINT "question_votes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "questions" ADD CONSTRAINT "questions_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "questions" ADD CONSTRAINT "questions_author_attendee_id_attendees_id_fk" FOREIGN KEY ("author_attendee_id") REFERENCES "public"."attendees"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "questions" ADD CONSTRAINT "questions_author_user_id_users_id_fk" FOREIGN KEY ("author_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_analytics" ADD CONSTRAINT "session_analytics_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_analytics_minutes" ADD CONSTRAINT "session_analytics_minutes_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_events" ADD CONSTRAINT "session_events_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "session_members_user_idx" ON "session_members" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_join_code_active_uq" ON "sessions" USING btree ("join_code") WHERE "sessions"."status" <> 'ended';--> statement-breakpoint
CREATE INDEX "sessions_owner_status_idx" ON "sessions" USING btree ("owner_id","status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "sessions_workspace_status_idx" ON "sessions" USING btree ("workspace_id","status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "attendees_peer_id_uq" ON "attendees" USING btree ("peer_id");--> statement-breakpoint
CREATE INDEX "attendees_session_status_idx" ON "attendees" USING btree ("session_id","status","joined_at");--> statement-breakpoint
CREATE INDEX "attendees_last_seen_idx" ON "attendees" USING btree ("last_seen_at") WHERE "attendees"."status" in ('connected', 'reconnecting');--> statement-breakpoint
CREATE INDEX "question_votes_attendee_idx" ON "question_votes" USING btree ("attendee_id");--> statement-breakpoint
CREATE INDEX "question_votes_user_idx" ON "question_votes" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "questions_session_rank_idx" ON "questions" USING btree ("session_id","status","pinned" DESC NULLS LAST,"score" DESC NULLS LAST,"id");--> statement-breakpoint
CREATE INDEX "questions_session_new_idx" ON "questions" USING btree ("session_id","status","created_at" DESC NULLS LAST,"id");--> statement-breakpoint
CREATE INDEX "questions_author_attendee_idx" ON "questions" USING btree ("author_attendee_id");--> statement-breakpoint
CREATE INDEX "session_analytics_minutes_minute_idx" ON "session_analytics_minutes" USING btree ("minute");--> statement-breakpoint
CREATE INDEX "session_events_session_idx" ON "session_events" USING btree ("session_id","id");--> statement-breakpoint
CREATE INDEX "session_events_session_type_idx" ON "session_events" USING btree ("session_id","type","occurred_at");