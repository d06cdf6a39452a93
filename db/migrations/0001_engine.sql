CREATE TABLE "dead_letters" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"function_id" text NOT NULL,
	"event_name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"error" jsonb NOT NULL,
	"merchant_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "engine_crons" (
	"function_id" text NOT NULL,
	"cron" text NOT NULL,
	"next_run_at" timestamp with time zone NOT NULL,
	CONSTRAINT "engine_crons_function_id_cron_pk" PRIMARY KEY("function_id","cron")
);
--> statement-breakpoint
CREATE TABLE "engine_functions" (
	"id" text PRIMARY KEY NOT NULL,
	"app_id" text NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"config" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "engine_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "engine_keys_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "engine_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"function_id" text NOT NULL,
	"event" jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_token" text,
	"lease_expires_at" timestamp with time zone,
	"concurrency_key" text,
	"concurrency_limit" integer,
	"output" jsonb,
	"last_error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "engine_steps" (
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"seq" bigserial NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "engine_steps_run_id_step_id_pk" PRIMARY KEY("run_id","step_id")
);
--> statement-breakpoint
CREATE TABLE "engine_waits" (
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"kind" text NOT NULL,
	"event_name" text,
	"expression" text,
	"expires_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "engine_waits_run_id_step_id_pk" PRIMARY KEY("run_id","step_id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "dead_letters_run_idx" ON "dead_letters" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "dead_letters_merchant_idx" ON "dead_letters" USING btree ("merchant_id","created_at");--> statement-breakpoint
CREATE INDEX "engine_crons_next_idx" ON "engine_crons" USING btree ("next_run_at");--> statement-breakpoint
CREATE INDEX "engine_keys_expires_idx" ON "engine_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "engine_runs_due_idx" ON "engine_runs" USING btree ("run_at") WHERE "engine_runs"."status" in ('queued', 'sleeping', 'waiting');--> statement-breakpoint
CREATE INDEX "engine_runs_lease_idx" ON "engine_runs" USING btree ("lease_expires_at") WHERE "engine_runs"."status" = 'running';--> statement-breakpoint
CREATE INDEX "engine_runs_concurrency_idx" ON "engine_runs" USING btree ("function_id","concurrency_key") WHERE "engine_runs"."status" = 'running';--> statement-breakpoint
CREATE INDEX "engine_runs_function_idx" ON "engine_runs" USING btree ("function_id","created_at");--> statement-breakpoint
CREATE INDEX "engine_waits_open_event_idx" ON "engine_waits" USING btree ("event_name") WHERE "engine_waits"."resolved_at" is null and "engine_waits"."kind" = 'event';