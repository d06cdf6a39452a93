CREATE TABLE "customers" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"email" text,
	"name" text,
	"phone" text,
	"description" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prices" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"product_id" text NOT NULL,
	"unit_amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"nickname" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "products" ALTER COLUMN "description" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ALTER COLUMN "unit_amount" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ALTER COLUMN "currency" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ALTER COLUMN "image" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "customer_id" text;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "payment_method_types" jsonb;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "client_reference_id" text;--> statement-breakpoint
ALTER TABLE "payment_attempts" ADD COLUMN "off_session" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "images" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "default_price_id" text;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "metadata" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "sandbox_card_payments" ADD COLUMN "off_session" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sandbox_card_tokens" ADD COLUMN "card_on_file" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sandbox_card_tokens" ADD COLUMN "source_token_id" text;--> statement-breakpoint
ALTER TABLE "customers" ADD CONSTRAINT "customers_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prices" ADD CONSTRAINT "prices_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prices" ADD CONSTRAINT "prices_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "customers_merchant_created_idx" ON "customers" USING btree ("merchant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "customers"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "customers_merchant_email_idx" ON "customers" USING btree ("merchant_id",lower("email"));--> statement-breakpoint
CREATE INDEX "prices_merchant_created_idx" ON "prices" USING btree ("merchant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "prices_product_idx" ON "prices" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "products_merchant_created_idx" ON "products" USING btree ("merchant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "sandbox_card_tokens" ADD CONSTRAINT "sandbox_card_tokens_sourceTokenId_unique" UNIQUE("source_token_id");--> statement-breakpoint
-- Each existing product's amount becomes its one-time price (its default price), before the
-- product's own amount columns go: the price is now the one place a product's cost is kept.
INSERT INTO "prices" ("id", "merchant_id", "product_id", "unit_amount", "currency", "active", "created_at", "updated_at")
SELECT 'price_' || substr(md5(random()::text || p."id"), 1, 24), p."merchant_id", p."id", p."unit_amount", lower(p."currency"), true, p."created_at", now()
FROM "products" p WHERE p."unit_amount" IS NOT NULL AND p."currency" IS NOT NULL;--> statement-breakpoint
UPDATE "products" p SET "default_price_id" = pr."id" FROM "prices" pr WHERE pr."product_id" = p."id";--> statement-breakpoint
ALTER TABLE "products" DROP COLUMN "unit_amount";--> statement-breakpoint
ALTER TABLE "products" DROP COLUMN "currency";