CREATE TABLE "recon_exceptions" (
	"id" text PRIMARY KEY NOT NULL,
	"psp" text NOT NULL,
	"run_id" text NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"merchant_id" text,
	"payment_intent_id" text,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"evidence" jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"note" text,
	"resolved_by" text,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "recon_lines" (
	"run_id" text NOT NULL,
	"psp" text NOT NULL,
	"line_no" integer,
	"line_id" text,
	"type" text NOT NULL,
	"psp_reference" text,
	"merchant_reference" text,
	"gross_minor" bigint NOT NULL,
	"fee_minor" bigint NOT NULL,
	"net_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"booked_at" timestamp with time zone,
	"available_on" timestamp with time zone,
	"payout_batch_id" text,
	"outcome" text NOT NULL,
	"merchant_id" text,
	"payment_intent_id" text,
	"attempt_id" text,
	"refund_id" text,
	"ours" jsonb,
	"heal_action" text,
	"healed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "recon_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"psp" text NOT NULL,
	"report_date" date NOT NULL,
	"report_hash" text NOT NULL,
	"report_lines" integer NOT NULL,
	"lines" integer NOT NULL,
	"matched" integer NOT NULL,
	"healed" integer DEFAULT 0 NOT NULL,
	"exceptions" jsonb NOT NULL,
	"report_complete" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"healed_at" timestamp with time zone
);
--> statement-breakpoint
-- Unlogged: the staged report lives for one run and is fetched again after a crash.
CREATE UNLOGGED TABLE "recon_staging" (
	"run_id" text NOT NULL,
	"line_no" integer NOT NULL,
	"line_id" text NOT NULL,
	"type" text NOT NULL,
	"psp_reference" text,
	"merchant_reference" text,
	"gross_minor" bigint NOT NULL,
	"fee_minor" bigint NOT NULL,
	"net_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"booked_at" timestamp with time zone NOT NULL,
	"available_on" timestamp with time zone NOT NULL,
	"payout_batch_id" text,
	"phone" text
);
--> statement-breakpoint
CREATE TABLE "settlement_items" (
	"psp" text NOT NULL,
	"line_id" text NOT NULL,
	"run_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"payment_intent_id" text,
	"currency" text NOT NULL,
	"released_minor" bigint NOT NULL,
	"gross_minor" bigint NOT NULL,
	"psp_fee_minor" bigint NOT NULL,
	"posting_event_id" text NOT NULL,
	"available_on" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "recon_exceptions" ADD CONSTRAINT "recon_exceptions_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recon_lines" ADD CONSTRAINT "recon_lines_run_id_recon_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."recon_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "recon_exceptions_subject_key" ON "recon_exceptions" USING btree ("psp","kind","subject");--> statement-breakpoint
CREATE INDEX "recon_exceptions_open_idx" ON "recon_exceptions" USING btree ("created_at") WHERE "recon_exceptions"."status" = 'open';--> statement-breakpoint
CREATE INDEX "recon_lines_run_idx" ON "recon_lines" USING btree ("run_id","outcome");--> statement-breakpoint
CREATE INDEX "recon_lines_payment_idx" ON "recon_lines" USING btree ("payment_intent_id") WHERE "recon_lines"."payment_intent_id" is not null;--> statement-breakpoint
CREATE INDEX "recon_lines_psp_line_idx" ON "recon_lines" USING btree ("psp","line_id");--> statement-breakpoint
CREATE INDEX "recon_lines_attempt_idx" ON "recon_lines" USING btree ("attempt_id") WHERE "recon_lines"."attempt_id" is not null;--> statement-breakpoint
CREATE INDEX "recon_lines_refund_idx" ON "recon_lines" USING btree ("refund_id") WHERE "recon_lines"."refund_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "recon_runs_report_key" ON "recon_runs" USING btree ("psp","report_date","report_hash");--> statement-breakpoint
CREATE INDEX "recon_runs_psp_date_idx" ON "recon_runs" USING btree ("psp","report_date" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "recon_staging_run_idx" ON "recon_staging" USING btree ("run_id");--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_items_line_key" ON "settlement_items" USING btree ("psp","line_id");--> statement-breakpoint
CREATE INDEX "settlement_items_payment_idx" ON "settlement_items" USING btree ("payment_intent_id");--> statement-breakpoint
CREATE INDEX "journal_transactions_payment_idx" ON "journal_transactions" USING btree ("payment_intent_id") WHERE "journal_transactions"."payment_intent_id" is not null;--> statement-breakpoint
-- Reconciliation matches report lines to attempts and refunds by the PSP's reference (set-based hash
-- joins for a big file; these keep a small day's run from scanning every attempt).
CREATE INDEX IF NOT EXISTS "payment_attempts_psp_reference_idx" ON "payment_attempts" USING btree ("psp", "psp_reference") WHERE "psp_reference" IS NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "refunds_psp_reference_idx" ON "refunds" USING btree ("psp", "psp_reference") WHERE "psp_reference" IS NOT NULL;
