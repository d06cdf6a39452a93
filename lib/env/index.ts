import { z } from 'zod';
import { INSTALL_SECRET_NAMES, PUBLICLY_KNOWN_SECRET_VALUES, type InstallSecretName } from './secrets';
import { parseTrustProxy, TrustProxyError } from '@/lib/http/trust-proxy';
import { RETRY_STRATEGIES, type RetryStrategy } from '@/lib/resilience/backoff';

/** For on/off variables (TRUST_PROXY, once one, no longer is). */
export const booleanish = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const url = z.string().url();
/** A duration in whole milliseconds, above zero, at most a day. */
const positiveMs = z.coerce.number().int().min(1).max(86_400_000);

/** Every variable the app reads. `.env.example` documents each one. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** The tables' owner, for migrations; DATABASE_URL (the app's role: rows only) is used when unset. */
  MIGRATION_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  APP_URL: url.optional(),
  /** Base URL of the sandbox card network (defaults to this app, which hosts it). */
  SANDBOX_CARD_URL: url.optional(),
  /** Shared secret the card adapter uses to call the sandbox acquirer (an install secret: lib/env/secrets.ts). */
  SANDBOX_ACQUIRER_KEY: z.string().min(16).optional(),
  /** Signs the sandbox card network's callbacks (an install secret). */
  SANDBOX_CALLBACK_SECRET: z.string().min(16).optional(),
  /** Publishable key the pay page uses for the sandbox tokenizer. */
  SANDBOX_PUBLISHABLE_KEY: z.string().min(8).default('pk_test_sandbox_local'),
  /** Secret key of the demo merchant the storefront at /store sells for. */
  STORE_SECRET_KEY: z.string().regex(/^sk_test_/, 'must start with sk_test_').optional(),
  AUTH_SECRET: z.string().min(16).optional(),
  /**
   * The proxies in front of the app whose X-Forwarded-For is believed (lib/http/trust-proxy):
   * unset / false = none (the socket address is the client); a hop count (1); or addresses, CIDRs
   * and loopback / linklocal / uniquelocal, comma-separated. `true` is refused.
   */
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return parseTrustProxy(value);
      } catch (err) {
        if (!(err instanceof TrustProxyError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message });
        return z.NEVER;
      }
    }),
  /** Public API requests per second per secret key, reads (GET/DELETE) and writes (POST). */
  API_RATE_LIMIT_READS_PER_SECOND: z.coerce.number().int().min(1).max(100_000).default(100),
  API_RATE_LIMIT_WRITES_PER_SECOND: z.coerce.number().int().min(1).max(100_000).default(25),
  /** Pay page API requests (confirm, M-Pesa start and status polls) per client IP per minute. */
  PAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(300),
  /** PSP callback requests per source IP per second (PSPs send from few addresses: keep it generous). */
  CALLBACK_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(200),
  /** Ceiling on all payment attempts (successful ones too) per customer IP per day, per merchant. */
  RISK_MAX_TOTAL_ATTEMPTS_PER_IP_PER_DAY: z.coerce.number().int().min(1).max(1_000_000).default(100),
  PSP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Daraja (M-Pesa) API base: the offline sandbox by default, https://sandbox.safaricom.co.ke or https://api.safaricom.co.ke. */
  DARAJA_BASE_URL: url.optional(),
  /** Daraja app credentials (install secrets; the offline Daraja checks the same values). */
  DARAJA_CONSUMER_KEY: z.string().min(1).optional(),
  DARAJA_CONSUMER_SECRET: z.string().min(8).optional(),
  /** The paybill / till number payments go to (Safaricom's public sandbox shortcode by default). */
  DARAJA_SHORTCODE: z.string().regex(/^\d{5,7}$/, 'must be a 5-7 digit shortcode').default('174379'),
  /** Lipa Na M-Pesa Online passkey (an install secret; set Safaricom's for its sandbox, your own in production). */
  DARAJA_PASSKEY: z.string().min(8).optional(),
  /** Secret path segment of our callback URL (Daraja callbacks are unsigned); an install secret. */
  DARAJA_CALLBACK_TOKEN: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16-128 URL-safe characters').optional(),
  /**
   * Daraja's organisation APIs (Reversal, B2C, Transaction Status, C2B): the API initiator from the
   * M-Pesa org portal, and Safaricom's public-key certificate (a PEM or DER file, or a URL) that
   * encrypts its password into the SecurityCredential. Unset with the offline sandbox: the
   * initiator is read from the sandbox's portal and the certificate from its URL.
   */
  DARAJA_INITIATOR_NAME: z.string().min(1).max(64).optional(),
  DARAJA_INITIATOR_PASSWORD: z.string().min(1).max(256).optional(),
  DARAJA_CERTIFICATE_PATH: z.string().min(1).optional(),
  DARAJA_CERTIFICATE_URL: url.optional(),
  /** How long a reversal or B2C waits for its Result before Transaction Status is asked. */
  DARAJA_RESULT_WAIT_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  /** The organisation's nominated MSISDN for Pull Transactions registration (Safaricom's test number by default). */
  DARAJA_NOMINATED_NUMBER: z.string().regex(/^254[17]\d{8}$/, 'must be an MSISDN such as 254712345678').default('254708374149'),
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
  /**
   * Receipt email (lib/receipts): an SMTP URL (smtp://user:pass@host:587, smtps://... for TLS), or
   * host/port/user/pass. With none set, messages go to the local mailbox (a table).
   */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASS: z.string().min(1).optional(),
  /** The From of receipt email, e.g. "Acme receipts <receipts@acme.example>". */
  SMTP_FROM: z.string().min(3).default('paykit receipts <receipts@paykit.local>'),
  /** Show the local mailbox at /dev/mailbox (`npm start` sets it outside production). */
  DEV_MAILBOX: booleanish.default(false),

  // --- Tuning: retries, breakers, timers (operators and tests override them) ---
  /** Connections per app process; at least 2: the outbox relay creates deliveries on a second one. */
  DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(1_000).default(10),
  /** OUTBOX_RELAY=off: this process runs no outbox relay (a dedicated process does). */
  OUTBOX_RELAY: z.enum(['on', 'off']).default('on'),
  /** Capture batches the group-commit poster writes at once (lib/ledger/batching-poster.ts). */
  LEDGER_BATCHES_IN_FLIGHT: z.coerce.number().int().min(1).max(64).default(1),
  /** Card PSP calls: retry strategy, retries, waits and total budget; per-PSP circuit breaker. */
  PSP_RETRY_STRATEGY: z.enum(RETRY_STRATEGIES as [RetryStrategy, ...RetryStrategy[]]).default('exponential'),
  PSP_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(2),
  PSP_RETRY_BASE_MS: z.coerce.number().int().min(0).max(600_000).default(200),
  PSP_RETRY_MAX_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(2_000),
  PSP_RETRY_BUDGET_MS: z.coerce.number().int().min(0).max(3_600_000).default(45_000),
  /** Shared by the card PSPs and Daraja: failures in a row that open a PSP's circuit, and how long it stays open. */
  PSP_BREAKER_THRESHOLD: z.coerce.number().int().min(1).max(1_000).default(5),
  PSP_BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** Daraja calls (an STK push is retried only when Daraja never acted on it). */
  DARAJA_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  DARAJA_RETRY_BASE_MS: z.coerce.number().int().min(0).max(600_000).default(500),
  DARAJA_RETRY_MAX_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(4_000),
  DARAJA_RETRY_BUDGET_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /**
   * How long an unresolved payment waits for its callback, when it is given up, and the first
   * wait between PSP queries. Unset: each pending kind has its own (lib/payments/resolution.ts).
   */
  PAYMENT_CALLBACK_TIMEOUT_MS: positiveMs.optional(),
  PAYMENT_RESOLUTION_DEADLINE_MS: positiveMs.optional(),
  PAYMENT_QUERY_BACKOFF_MS: positiveMs.optional(),
  /**
   * A confirm that recorded its attempt and never applied the PSP's answer (the app died) is
   * handed to resolution after this long (lib/payments/stranded.ts): longer than any live confirm.
   */
  STRANDED_ATTEMPT_AFTER_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(120_000),
  /** Replaces the webhook retry schedule: one wait per retry, "1000,5000,..." (lib/webhooks/schedule.ts). */
  WEBHOOK_RETRY_DELAYS_MS: z
    .string()
    .regex(/^\s*\d+\s*(,\s*\d+\s*)*$/, 'must be a comma-separated list of whole milliseconds')
    .transform((raw) => raw.split(',').map((v) => Number(v.trim())))
    .optional(),
  /**
   * Pay with Till (Buy Goods): the till number customers pay to from the phone's menu (Lipa na
   * M-PESA > Buy Goods and Services). The till belongs to DARAJA_SHORTCODE, the store (or head
   * office) number Daraja's APIs use for it: URL registration, Pull Transactions, STK push's
   * BusinessShortCode. Unset: no till, the pay page does not offer it.
   */
  DARAJA_TILL_NUMBER: z.string().regex(/^\d{5,7}$/, 'must be a 5-7 digit till number').optional(),
  /**
   * The STK push's TransactionType: CustomerPayBillOnline (PartyB = DARAJA_SHORTCODE, a paybill) or
   * CustomerBuyGoodsOnline (PartyB = DARAJA_TILL_NUMBER, for a merchant whose shortcode is a till's store).
   */
  DARAJA_STK_TRANSACTION_TYPE: z.enum(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline']).default('CustomerPayBillOnline'),
  /**
   * How long an STK prompt stays on the customer's phone before M-Pesa gives up on it (1037):
   * the intent's next_action expires_at, the pay page's countdown, and how long resolution waits
   * for the callback before it asks Daraja. Safaricom's is about a minute.
   */
  DARAJA_STK_PROMPT_LIFETIME_MS: z.coerce.number().int().min(10_000).max(600_000).default(60_000),
});

export type Env = z.infer<typeof envSchema> & { APP_URL: string; SANDBOX_CARD_URL: string; DARAJA_BASE_URL: string };

export class EnvError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid environment:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/**
 * Validates an environment with a schema: the app's (parseEnv) or a process's own (the engine,
 * the benchmarks). Empty strings mean "unset", as in most .env files. Throws EnvError naming
 * every bad variable.
 */
export function parseEnvWith<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.output<S> {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return result.data;
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const data = parseEnvWith(envSchema, source);
  if (data.NODE_ENV === 'production') {
    const unsafe = unsafeInstallSecrets(data);
    if (unsafe.length > 0) throw new EnvError(unsafe);
  }
  if (data.DARAJA_STK_TRANSACTION_TYPE === 'CustomerBuyGoodsOnline' && !data.DARAJA_TILL_NUMBER)
    throw new EnvError(['DARAJA_STK_TRANSACTION_TYPE: CustomerBuyGoodsOnline pushes to a till: set DARAJA_TILL_NUMBER']);
  const appUrl = (data.APP_URL ?? `http://localhost:${data.PORT}`).replace(/\/$/, '');
  return {
    ...data,
    APP_URL: appUrl,
    SANDBOX_CARD_URL: (data.SANDBOX_CARD_URL ?? appUrl).replace(/\/$/, ''),
    DARAJA_BASE_URL: (data.DARAJA_BASE_URL ?? `${appUrl}/api/sandbox/mpesa`).replace(/\/$/, ''),
  };
}

/**
 * Production never runs with a secret anyone could know: each install secret must be set, and
 * not to a value that shipped as a default or is published. One line per variable.
 */
function unsafeInstallSecrets(data: Partial<Record<InstallSecretName, string>>): string[] {
  const issues: string[] = [];
  for (const name of INSTALL_SECRET_NAMES) {
    const value = data[name];
    if (!value) issues.push(`${name}: required in production (npm start generates it into the data dir; or set it)`);
    else if (PUBLICLY_KNOWN_SECRET_VALUES[name]?.includes(value)) issues.push(`${name}: is a publicly known development value; set a secret of your own`);
  }
  return issues;
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

/**
 * An install secret, for the code that uses it. Outside production it may be unset (tools that
 * only need the database); using it then fails here, naming the variable, instead of falling
 * back to anything guessable.
 */
export function requireSecret(name: InstallSecretName): string {
  const value = env()[name];
  if (!value) throw new EnvError([`${name}: not set (npm start generates it into the data dir; tests set it in their setup)`]);
  return value;
}
