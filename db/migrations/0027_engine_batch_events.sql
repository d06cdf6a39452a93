CREATE TABLE "engine_batch_items" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"function_id" text NOT NULL,
	"batch_key" text NOT NULL,
	"event" jsonb NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "engine_runs" ADD COLUMN "events" jsonb;--> statement-breakpoint
CREATE INDEX "engine_batch_items_batch_idx" ON "engine_batch_items" USING btree ("function_id","batch_key","seq");--> statement-breakpoint
CREATE INDEX "engine_batch_items_due_idx" ON "engine_batch_items" USING btree ("due_at");