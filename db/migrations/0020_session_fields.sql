ALTER TABLE "checkout_sessions" ADD COLUMN "customer_id" text;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "payment_method_types" jsonb;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "client_reference_id" text;