CREATE TABLE "sandbox_mpesa_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"private_key_pem" text NOT NULL,
	"certificate_pem" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_mpesa_requests" (
	"conversation_id" text PRIMARY KEY NOT NULL,
	"originator_conversation_id" text NOT NULL,
	"api" text NOT NULL,
	"shortcode" text NOT NULL,
	"request_hash" text NOT NULL,
	"result_url" text NOT NULL,
	"queue_timeout_url" text NOT NULL,
	"status" text NOT NULL,
	"result_code" integer,
	"result_desc" text,
	"transaction_id" text,
	"amount_cents" bigint,
	"result_body" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_mpesa_shortcodes" (
	"shortcode" text PRIMARY KEY NOT NULL,
	"organization_name" text NOT NULL,
	"initiator_name" text NOT NULL,
	"initiator_password" text NOT NULL,
	"c2b_confirmation_url" text,
	"c2b_validation_url" text,
	"c2b_response_type" text,
	"c2b_api_version" text,
	"pull_callback_url" text,
	"pull_nominated_number" text,
	"pull_registered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_mpesa_sms" (
	"id" text PRIMARY KEY NOT NULL,
	"msisdn" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_mpesa_transactions" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"shortcode" text NOT NULL,
	"kind" text NOT NULL,
	"account" text NOT NULL,
	"paid_in_cents" bigint NOT NULL,
	"withdrawn_cents" bigint NOT NULL,
	"balance_after_cents" bigint NOT NULL,
	"msisdn" text NOT NULL,
	"customer_name" text NOT NULL,
	"bill_reference" text DEFAULT '' NOT NULL,
	"original_transaction_id" text,
	"conversation_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sandbox_mpesa_transactions" ADD CONSTRAINT "sandbox_mpesa_transactions_shortcode_sandbox_mpesa_shortcodes_shortcode_fk" FOREIGN KEY ("shortcode") REFERENCES "public"."sandbox_mpesa_shortcodes"("shortcode") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sandbox_mpesa_requests_originator_key" ON "sandbox_mpesa_requests" USING btree ("api","originator_conversation_id");--> statement-breakpoint
CREATE INDEX "sandbox_mpesa_sms_msisdn_idx" ON "sandbox_mpesa_sms" USING btree ("msisdn","created_at");--> statement-breakpoint
CREATE INDEX "sandbox_mpesa_tx_shortcode_idx" ON "sandbox_mpesa_transactions" USING btree ("shortcode","account","seq");--> statement-breakpoint
CREATE INDEX "sandbox_mpesa_tx_time_idx" ON "sandbox_mpesa_transactions" USING btree ("shortcode","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sandbox_mpesa_tx_reversal_key" ON "sandbox_mpesa_transactions" USING btree ("original_transaction_id") WHERE "sandbox_mpesa_transactions"."kind" = 'reversal';--> statement-breakpoint
-- The sandbox shortcode's statement is append-only (a reversal is a new row), like the real M-Pesa books.
CREATE FUNCTION sandbox_mpesa_refuse_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sandbox table % is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER sandbox_mpesa_transactions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON sandbox_mpesa_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION sandbox_mpesa_refuse_mutation();
--> statement-breakpoint
-- One side of each movement is positive, and no account of the shortcode goes below zero.
ALTER TABLE sandbox_mpesa_transactions ADD CONSTRAINT sandbox_mpesa_tx_one_side CHECK (
  (paid_in_cents > 0 AND withdrawn_cents = 0) OR (paid_in_cents = 0 AND withdrawn_cents > 0));
--> statement-breakpoint
ALTER TABLE sandbox_mpesa_transactions ADD CONSTRAINT sandbox_mpesa_tx_no_overdraft CHECK (balance_after_cents >= 0);
