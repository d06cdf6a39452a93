CREATE TABLE "mpesa_till_sessions" (
	"checkout_session_id" text PRIMARY KEY NOT NULL,
	"payment_intent_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"phone" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"validated_trans_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mpesa_c2b_payments" ADD COLUMN "kind" text DEFAULT 'paybill' NOT NULL;--> statement-breakpoint
ALTER TABLE "sandbox_mpesa_stk_requests" ADD COLUMN "transaction_type" text DEFAULT 'CustomerPayBillOnline' NOT NULL;--> statement-breakpoint
ALTER TABLE "mpesa_till_sessions" ADD CONSTRAINT "mpesa_till_sessions_checkout_session_id_checkout_sessions_id_fk" FOREIGN KEY ("checkout_session_id") REFERENCES "public"."checkout_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mpesa_till_sessions" ADD CONSTRAINT "mpesa_till_sessions_payment_intent_id_payment_intents_id_fk" FOREIGN KEY ("payment_intent_id") REFERENCES "public"."payment_intents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mpesa_till_sessions" ADD CONSTRAINT "mpesa_till_sessions_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mpesa_till_sessions_phone_amount_idx" ON "mpesa_till_sessions" USING btree ("phone","amount_minor");--> statement-breakpoint
CREATE UNIQUE INDEX "mpesa_till_sessions_validated_key" ON "mpesa_till_sessions" USING btree ("validated_trans_id") WHERE "mpesa_till_sessions"."validated_trans_id" is not null;