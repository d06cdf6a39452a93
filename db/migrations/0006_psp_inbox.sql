CREATE TABLE "psp_inbox" (
	"id" text PRIMARY KEY NOT NULL,
	"psp" text NOT NULL,
	"psp_event_id" text NOT NULL,
	"headers" jsonb NOT NULL,
	"raw_body" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	"outcome" text,
	"process_error" text,
	"attempts" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "psp_inbox_psp_event_key" ON "psp_inbox" USING btree ("psp","psp_event_id");--> statement-breakpoint
CREATE INDEX "psp_inbox_unprocessed_idx" ON "psp_inbox" USING btree ("received_at") WHERE "psp_inbox"."processed_at" is null;