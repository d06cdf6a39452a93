CREATE TABLE "journal_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"transaction_id" text NOT NULL,
	"account_id" text NOT NULL,
	"currency" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "journal_entries_amount_nonzero" CHECK ("journal_entries"."amount_minor" <> 0)
);
--> statement-breakpoint
CREATE TABLE "journal_transactions" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"kind" text NOT NULL,
	"event_id" text NOT NULL,
	"merchant_id" text,
	"currency" text NOT NULL,
	"payment_intent_id" text,
	"refund_id" text,
	"reverses_id" text,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"merchant_id" text,
	"psp" text,
	"currency" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_balances" (
	"account_id" text NOT NULL,
	"shard" smallint NOT NULL,
	"balance_minor" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_balances_account_id_shard_pk" PRIMARY KEY("account_id","shard")
);
--> statement-breakpoint
CREATE TABLE "ledger_payment_states" (
	"payment_intent_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"currency" text NOT NULL,
	"psp" text NOT NULL,
	"captured_minor" bigint DEFAULT 0 NOT NULL,
	"fee_minor" bigint DEFAULT 0 NOT NULL,
	"refunded_minor" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_payment_states_refund_within_capture" CHECK ("ledger_payment_states"."refunded_minor" >= 0 and "ledger_payment_states"."refunded_minor" <= "ledger_payment_states"."captured_minor")
);
--> statement-breakpoint
CREATE TABLE "merchant_fee_schedules" (
	"merchant_id" text NOT NULL,
	"currency" text NOT NULL,
	"percent_bps" integer NOT NULL,
	"fixed_minor" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "merchant_fee_schedules_merchant_id_currency_pk" PRIMARY KEY("merchant_id","currency"),
	CONSTRAINT "merchant_fee_schedules_sane" CHECK ("merchant_fee_schedules"."percent_bps" between 0 and 10000 and "merchant_fee_schedules"."fixed_minor" >= 0)
);
--> statement-breakpoint
CREATE TABLE "wallet_settings" (
	"merchant_id" text NOT NULL,
	"currency" text NOT NULL,
	"overdraft_limit_minor" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "wallet_settings_merchant_id_currency_pk" PRIMARY KEY("merchant_id","currency"),
	CONSTRAINT "wallet_settings_overdraft_nonnegative" CHECK ("wallet_settings"."overdraft_limit_minor" >= 0)
);
--> statement-breakpoint
ALTER TABLE "journal_entries" ADD CONSTRAINT "journal_entries_transaction_id_journal_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."journal_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "merchant_fee_schedules" ADD CONSTRAINT "merchant_fee_schedules_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wallet_settings" ADD CONSTRAINT "wallet_settings_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "journal_entries_transaction_idx" ON "journal_entries" USING btree ("transaction_id");--> statement-breakpoint
CREATE INDEX "journal_entries_account_idx" ON "journal_entries" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "journal_transactions_event_kind_key" ON "journal_transactions" USING btree ("event_id","kind");--> statement-breakpoint
CREATE INDEX "journal_transactions_merchant_seq_idx" ON "journal_transactions" USING btree ("merchant_id","seq");--> statement-breakpoint
CREATE INDEX "journal_transactions_refund_idx" ON "journal_transactions" USING btree ("refund_id") WHERE "journal_transactions"."refund_id" is not null;--> statement-breakpoint
CREATE INDEX "ledger_accounts_merchant_idx" ON "ledger_accounts" USING btree ("merchant_id","currency");