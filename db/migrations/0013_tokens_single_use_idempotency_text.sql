-- Stored idempotent responses become the exact JSON text sent (jsonb reorders keys and re-spaces).
-- Rows stored before this keep jsonb's rendering of their body, still valid JSON.
ALTER TABLE "idempotency_keys" ALTER COLUMN "response_body" SET DATA TYPE text USING "response_body"::text;--> statement-breakpoint
ALTER TABLE "sandbox_card_tokens" ADD COLUMN "account" text;--> statement-breakpoint
ALTER TABLE "sandbox_card_tokens" ADD COLUMN "reusable" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sandbox_card_tokens" ADD COLUMN "used_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sandbox_card_tokens" ADD COLUMN "used_by_idempotency_key" text;--> statement-breakpoint
-- Stripe-style pm_card_* test payment methods already stored stay shared and reusable.
UPDATE "sandbox_card_tokens" SET "reusable" = true WHERE "id" LIKE 'pm\_card\_%';--> statement-breakpoint
-- A token that already paid for something is used, by its first payment's key.
UPDATE "sandbox_card_tokens" AS t
SET "used_at" = first."created_at", "used_by_idempotency_key" = first."idempotency_key"
FROM (
  SELECT DISTINCT ON ("token_id") "token_id", "created_at", "idempotency_key"
  FROM "sandbox_card_payments"
  ORDER BY "token_id", "created_at", "id"
) AS first
WHERE t."id" = first."token_id" AND NOT t."reusable";
