CREATE TABLE "payment_methods" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"type" text NOT NULL,
	"card" jsonb,
	"psp_token" text,
	"psp" text,
	"customer_id" text,
	"billing_details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "payment_attempts" ADD COLUMN "payment_method_id" text;--> statement-breakpoint
ALTER TABLE "payment_intents" ADD COLUMN "client_secret" text;--> statement-breakpoint
ALTER TABLE "payment_intents" ADD COLUMN "customer_id" text;--> statement-breakpoint
ALTER TABLE "payment_intents" ADD COLUMN "payment_method_id" text;--> statement-breakpoint
ALTER TABLE "payment_intents" ADD COLUMN "payment_method_types" jsonb DEFAULT '["card"]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "payment_intents" ADD COLUMN "automatic_payment_methods" jsonb;--> statement-breakpoint
ALTER TABLE "payment_intents" ADD COLUMN "statement_descriptor" text;--> statement-breakpoint
ALTER TABLE "payment_methods" ADD CONSTRAINT "payment_methods_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payment_methods_merchant_customer_idx" ON "payment_methods" USING btree ("merchant_id","customer_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "payment_intents_merchant_customer_idx" ON "payment_intents" USING btree ("merchant_id","customer_id","created_at" DESC NULLS LAST);--> statement-breakpoint
-- Intents created before client secrets existed get one too (122 random bits from gen_random_uuid).
UPDATE "payment_intents" SET "client_secret" = "id" || '_secret_' || replace(gen_random_uuid()::text, '-', '') WHERE "client_secret" IS NULL;
--> statement-breakpoint
-- Stripe's update: amount and currency may change before the intent is confirmed (nothing is
-- held or received yet; each attempt records the amount it charged). From then on they stay
-- immutable, as before, whatever code path writes to the table.
CREATE OR REPLACE FUNCTION payment_intents_terminal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status IN ('succeeded', 'canceled') AND NEW.status IS DISTINCT FROM OLD.status THEN
    RAISE EXCEPTION 'payment intent % is %, a terminal state', OLD.id, OLD.status USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.merchant_id IS DISTINCT FROM OLD.merchant_id THEN
    RAISE EXCEPTION 'the merchant of payment intent % is immutable', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  IF (NEW.amount IS DISTINCT FROM OLD.amount OR NEW.currency IS DISTINCT FROM OLD.currency)
     AND NOT (OLD.status IN ('requires_payment_method', 'requires_confirmation') AND NEW.status = OLD.status
              AND OLD.amount_received = 0 AND OLD.amount_capturable = 0) THEN
    RAISE EXCEPTION 'amount and currency of payment intent % are immutable once it is confirmed', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
-- Publishable keys: every merchant gets one (existing ones too, from the default).
ALTER TABLE "merchants" ADD COLUMN "publishable_key" text DEFAULT ('pk_test_' || replace(gen_random_uuid()::text, '-', '')) NOT NULL;--> statement-breakpoint
ALTER TABLE "merchants" ADD CONSTRAINT "merchants_publishableKey_unique" UNIQUE("publishable_key");
