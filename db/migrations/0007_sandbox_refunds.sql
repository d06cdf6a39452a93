CREATE TABLE "sandbox_card_refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"payment_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sandbox_card_refunds" ADD CONSTRAINT "sandbox_card_refunds_payment_id_sandbox_card_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."sandbox_card_payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sandbox_card_refunds_idempotency_key" ON "sandbox_card_refunds" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "sandbox_card_refunds_payment_idx" ON "sandbox_card_refunds" USING btree ("payment_id");