ALTER TABLE "outbox_events" ADD COLUMN "request_id" text;--> statement-breakpoint
ALTER TABLE "outbox_events" ADD COLUMN "request_idempotency_key" text;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "metadata" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "refunds" ADD COLUMN "payment_attempt_id" text;--> statement-breakpoint
ALTER TABLE "refunds" ADD COLUMN "metadata" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_payment_attempt_id_payment_attempts_id_fk" FOREIGN KEY ("payment_attempt_id") REFERENCES "public"."payment_attempts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Refunds made before this column: their charge is the payment's one succeeded attempt.
UPDATE "refunds" SET "payment_attempt_id" = (
  SELECT a."id" FROM "payment_attempts" a
   WHERE a."payment_intent_id" = "refunds"."payment_intent_id" AND a."status" = 'succeeded'
   ORDER BY a."created_at" LIMIT 1
) WHERE "payment_attempt_id" IS NULL;
