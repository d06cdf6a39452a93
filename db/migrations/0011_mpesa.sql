CREATE TABLE "mpesa_payments" (
	"attempt_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"phone" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"merchant_request_id" text,
	"checkout_request_id" text,
	"result_code" integer,
	"result_desc" text,
	"receipt_number" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_mpesa_stk_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_request_id" text NOT NULL,
	"shortcode" text NOT NULL,
	"amount" integer NOT NULL,
	"phone" text NOT NULL,
	"account_reference" text NOT NULL,
	"transaction_desc" text NOT NULL,
	"callback_url" text NOT NULL,
	"status" text NOT NULL,
	"result_code" integer,
	"result_desc" text,
	"receipt_number" text,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "mpesa_payments" ADD CONSTRAINT "mpesa_payments_attempt_id_payment_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "public"."payment_attempts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mpesa_payments" ADD CONSTRAINT "mpesa_payments_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "mpesa_payments_checkout_request_key" ON "mpesa_payments" USING btree ("checkout_request_id") WHERE "mpesa_payments"."checkout_request_id" is not null;--> statement-breakpoint
CREATE INDEX "mpesa_payments_risk_phone_idx" ON "mpesa_payments" USING btree ("merchant_id","phone","created_at");--> statement-breakpoint
CREATE INDEX "sandbox_mpesa_stk_phone_idx" ON "sandbox_mpesa_stk_requests" USING btree ("phone","created_at");