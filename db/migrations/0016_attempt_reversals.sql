ALTER TABLE "payment_attempts" ADD COLUMN "reversal_reason" text;--> statement-breakpoint
ALTER TABLE "payment_attempts" ADD COLUMN "reversed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payment_attempts" ADD COLUMN "reversal_lease_until" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "payment_attempts_reversal_pending_idx" ON "payment_attempts" USING btree ("updated_at") WHERE "payment_attempts"."status" = 'reversal_pending';