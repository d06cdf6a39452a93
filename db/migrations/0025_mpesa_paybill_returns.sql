ALTER TABLE "mpesa_refunds" ALTER COLUMN "attempt_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "mpesa_c2b_payments" ADD COLUMN "claimed_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "mpesa_c2b_payments" ADD COLUMN "return_receipt" text;--> statement-breakpoint
ALTER TABLE "mpesa_c2b_payments" ADD COLUMN "returned_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "mpesa_c2b_payments_attempt_key" ON "mpesa_c2b_payments" USING btree ("attempt_id") WHERE "mpesa_c2b_payments"."attempt_id" is not null;--> statement-breakpoint
CREATE INDEX "mpesa_c2b_payments_status_idx" ON "mpesa_c2b_payments" USING btree ("status","claimed_at");--> statement-breakpoint
-- rows a crashed applier left behind become takeover-able claims; older unmatched rows are given back by the cron
UPDATE "mpesa_c2b_payments" SET "status" = 'applying', "claimed_at" = "created_at" WHERE "status" = 'unmatched' AND "note" = 'being applied';
