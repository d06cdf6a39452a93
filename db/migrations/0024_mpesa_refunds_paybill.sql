CREATE TABLE "mpesa_c2b_payments" (
	"trans_id" text PRIMARY KEY NOT NULL,
	"account_number" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"msisdn" text NOT NULL,
	"source" text NOT NULL,
	"status" text NOT NULL,
	"attempt_id" text,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mpesa_paybill_accounts" (
	"account_number" text PRIMARY KEY NOT NULL,
	"checkout_session_id" text NOT NULL,
	"payment_intent_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mpesa_refunds" (
	"refund_key" text PRIMARY KEY NOT NULL,
	"attempt_id" text NOT NULL,
	"kind" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"phone" text NOT NULL,
	"original_receipt" text,
	"originator_conversation_id" text,
	"conversation_id" text,
	"sent_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"result_code" text,
	"result_desc" text,
	"result_transaction_id" text,
	"queue_timed_out_at" timestamp with time zone,
	"status_originator_conversation_id" text,
	"status_conversation_id" text,
	"status_queried_at" timestamp with time zone,
	"outcome" text,
	"receipt_number" text,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mpesa_c2b_payments" ADD CONSTRAINT "mpesa_c2b_payments_attempt_id_payment_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "public"."payment_attempts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mpesa_paybill_accounts" ADD CONSTRAINT "mpesa_paybill_accounts_checkout_session_id_checkout_sessions_id_fk" FOREIGN KEY ("checkout_session_id") REFERENCES "public"."checkout_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mpesa_paybill_accounts" ADD CONSTRAINT "mpesa_paybill_accounts_payment_intent_id_payment_intents_id_fk" FOREIGN KEY ("payment_intent_id") REFERENCES "public"."payment_intents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mpesa_paybill_accounts" ADD CONSTRAINT "mpesa_paybill_accounts_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mpesa_refunds" ADD CONSTRAINT "mpesa_refunds_attempt_id_payment_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "public"."payment_attempts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "mpesa_paybill_accounts_session_key" ON "mpesa_paybill_accounts" USING btree ("checkout_session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "mpesa_refunds_originator_key" ON "mpesa_refunds" USING btree ("originator_conversation_id") WHERE "mpesa_refunds"."originator_conversation_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "mpesa_refunds_status_originator_key" ON "mpesa_refunds" USING btree ("status_originator_conversation_id") WHERE "mpesa_refunds"."status_originator_conversation_id" is not null;