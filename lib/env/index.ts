import { z } from 'zod';

const booleanish = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const url = z.string().url();

/** Every variable the app reads. `.env.example` documents each one. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  APP_URL: url.optional(),
  /** Base URL of the sandbox card network (defaults to this app, which hosts it). */
  SANDBOX_CARD_URL: url.optional(),
  /** Shared secret the card adapter uses to call the sandbox acquirer. */
  SANDBOX_ACQUIRER_KEY: z.string().min(16).default('sbx_acquirer_local_development_key'),
  /** Publishable key the pay page uses for the sandbox tokenizer. */
  SANDBOX_PUBLISHABLE_KEY: z.string().min(8).default('pk_test_sandbox_local'),
  /** Secret key of the demo merchant the storefront at /store sells for. */
  STORE_SECRET_KEY: z.string().regex(/^sk_test_/, 'must start with sk_test_').optional(),
  AUTH_SECRET: z.string().min(16).optional(),
  /** Trust X-Forwarded-For for the client IP (set when behind a proxy or load balancer). */
  TRUST_PROXY: booleanish.default(true),
  PSP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Daraja (M-Pesa) API base: the offline sandbox by default, https://sandbox.safaricom.co.ke or https://api.safaricom.co.ke. */
  DARAJA_BASE_URL: url.optional(),
  DARAJA_CONSUMER_KEY: z.string().min(1).default('paykit_sandbox_consumer_key'),
  DARAJA_CONSUMER_SECRET: z.string().min(8).default('paykit_sandbox_consumer_secret'),
  /** The paybill / till number payments go to (Safaricom's public sandbox shortcode by default). */
  DARAJA_SHORTCODE: z.string().regex(/^\d{5,7}$/, 'must be a 5-7 digit shortcode').default('174379'),
  /** Lipa Na M-Pesa Online passkey (Safaricom's public sandbox passkey by default). */
  DARAJA_PASSKEY: z.string().min(8).default('bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919'),
  /** Secret path segment of our callback URL (Daraja callbacks are unsigned); derived from the consumer secret when unset. */
  DARAJA_CALLBACK_TOKEN: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16-128 URL-safe characters').optional(),
  /** Stripe secret key (sk_test_... or sk_live_...); Stripe is routed only when it is set. */
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_/, 'must start with sk_test_, sk_live_, rk_test_ or rk_live_').optional(),
  /** Stripe publishable key (pk_...) for the Payment Element. */
  STRIPE_PUBLISHABLE_KEY: z.string().regex(/^pk_(test|live)_/, 'must start with pk_test_ or pk_live_').optional(),
  /** Signing secret (whsec_...) of the Stripe webhook endpoint /api/psp/stripe/webhook. */
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_/, 'must start with whsec_').optional(),
  /** Stripe API origin (default https://api.stripe.com); tests point it at a local fake. */
  STRIPE_API_BASE: url.optional(),
  /**
   * Let webhook endpoints use loopback, private and link-local addresses (local development and
   * the `npm start` demo only; SSRF protection is off while it is set).
   */
  WEBHOOK_ALLOW_PRIVATE_URLS: booleanish.default(false),
});

export type Env = z.infer<typeof envSchema> & { APP_URL: string; SANDBOX_CARD_URL: string; DARAJA_BASE_URL: string };

export class EnvError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid environment:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings mean "unset", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const data = result.data;
  const appUrl = (data.APP_URL ?? `http://localhost:${data.PORT}`).replace(/\/$/, '');
  return {
    ...data,
    APP_URL: appUrl,
    SANDBOX_CARD_URL: (data.SANDBOX_CARD_URL ?? appUrl).replace(/\/$/, ''),
    DARAJA_BASE_URL: (data.DARAJA_BASE_URL ?? `${appUrl}/api/sandbox/mpesa`).replace(/\/$/, ''),
  };
}

let cached: Env | undefined;

/** The validated environment, parsed once. Throws EnvError naming every bad variable. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** For tests that change process.env between cases. */
export function resetEnvCache(): void {
  cached = undefined;
}
