import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnvError, parseEnv, parseEnvWith } from './index';

describe('parseEnv', () => {
  it('fills defaults for an empty environment', () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.APP_URL).toBe('http://localhost:3000');
    expect(env.SANDBOX_CARD_URL).toBe('http://localhost:3000');
    expect(env.TRUST_PROXY).toEqual({ kind: 'off' });
    expect(env.API_RATE_LIMIT_READS_PER_SECOND).toBe(100);
    expect(env.API_RATE_LIMIT_WRITES_PER_SECOND).toBe(25);
  });

  it('reads TRUST_PROXY as the trusted proxies and refuses `true` and bad values by name', () => {
    expect(parseEnv({ TRUST_PROXY: 'false' }).TRUST_PROXY).toEqual({ kind: 'off' });
    expect(parseEnv({ TRUST_PROXY: '1' }).TRUST_PROXY).toEqual({ kind: 'hops', hops: 1 });
    expect(parseEnv({ TRUST_PROXY: '10.0.0.0/8, loopback' }).TRUST_PROXY.kind).toBe('ranges');
    expect(() => parseEnv({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: .*would believe any X-Forwarded-For/);
    expect(() => parseEnv({ TRUST_PROXY: '10.0.0.0/99' })).toThrow(/TRUST_PROXY: "10\.0\.0\.0\/99" is not an IP address/);
    expect(() => parseEnv({ API_RATE_LIMIT_WRITES_PER_SECOND: '0' })).toThrow(/API_RATE_LIMIT_WRITES_PER_SECOND/);
  });

  it('derives URLs from PORT and strips trailing slashes', () => {
    expect(parseEnv({ PORT: '4000' }).APP_URL).toBe('http://localhost:4000');
    expect(parseEnv({ APP_URL: 'https://pay.example.com/' }).APP_URL).toBe('https://pay.example.com');
  });

  it('points Daraja at the offline sandbox by default and validates DARAJA_* values', () => {
    const env = parseEnv({ APP_URL: 'https://pay.example.com' });
    expect(env.DARAJA_BASE_URL).toBe('https://pay.example.com/api/sandbox/mpesa');
    expect(env.DARAJA_SHORTCODE).toBe('174379');
    expect(parseEnv({ DARAJA_BASE_URL: 'https://api.safaricom.co.ke/' }).DARAJA_BASE_URL).toBe('https://api.safaricom.co.ke');
    expect(() => parseEnv({ DARAJA_SHORTCODE: 'abc', DARAJA_CALLBACK_TOKEN: 'short' })).toThrow(
      /DARAJA_SHORTCODE[\s\S]*DARAJA_CALLBACK_TOKEN/,
    );
  });

  it('leaves Stripe off by default and validates STRIPE_* values', () => {
    expect(parseEnv({}).STRIPE_SECRET_KEY).toBeUndefined();
    const env = parseEnv({ STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_WEBHOOK_SECRET: 'whsec_abc', STRIPE_API_BASE: 'http://127.0.0.1:12111' });
    expect(env.STRIPE_API_BASE).toBe('http://127.0.0.1:12111');
    expect(() => parseEnv({ STRIPE_SECRET_KEY: 'pk_test_1', STRIPE_PUBLISHABLE_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'abc' })).toThrow(
      /STRIPE_SECRET_KEY[\s\S]*STRIPE_PUBLISHABLE_KEY[\s\S]*STRIPE_WEBHOOK_SECRET/,
    );
  });

  it('gives the retry, breaker and timer settings their defaults', () => {
    const env = parseEnv({});
    expect(env.PSP_RETRY_STRATEGY).toBe('exponential');
    expect([env.PSP_MAX_RETRIES, env.PSP_RETRY_BASE_MS, env.PSP_RETRY_MAX_DELAY_MS, env.PSP_RETRY_BUDGET_MS]).toEqual([2, 200, 2_000, 45_000]);
    expect([env.PSP_BREAKER_THRESHOLD, env.PSP_BREAKER_HALF_OPEN_MS]).toEqual([5, 30_000]);
    expect([env.DARAJA_MAX_RETRIES, env.DARAJA_RETRY_BASE_MS, env.DARAJA_RETRY_MAX_DELAY_MS, env.DARAJA_RETRY_BUDGET_MS]).toEqual([3, 500, 4_000, 30_000]);
    expect([env.DATABASE_POOL_MAX, env.LEDGER_BATCHES_IN_FLIGHT, env.OUTBOX_RELAY]).toEqual([10, 1, 'on']);
    // unset: each pending kind has its own (lib/payments/resolution.ts)
    expect(env.PAYMENT_CALLBACK_TIMEOUT_MS).toBeUndefined();
    expect(env.WEBHOOK_RETRY_DELAYS_MS).toBeUndefined();
  });

  it('reads the tuning settings and refuses bad values by name instead of falling back', () => {
    const env = parseEnv({ PSP_RETRY_STRATEGY: 'fixed', PSP_MAX_RETRIES: '0', PAYMENT_QUERY_BACKOFF_MS: '50', WEBHOOK_RETRY_DELAYS_MS: '200, 200,1000' });
    expect([env.PSP_RETRY_STRATEGY, env.PSP_MAX_RETRIES, env.PAYMENT_QUERY_BACKOFF_MS]).toEqual(['fixed', 0, 50]);
    expect(env.WEBHOOK_RETRY_DELAYS_MS).toEqual([200, 200, 1000]);
    const bad: Record<string, string> = {
      PSP_MAX_RETRIES: 'two',
      PSP_RETRY_BASE_MS: '-1',
      PSP_RETRY_STRATEGY: 'fibonacci',
      PSP_BREAKER_THRESHOLD: '0',
      DARAJA_RETRY_BUDGET_MS: '1.5',
      PAYMENT_CALLBACK_TIMEOUT_MS: '0',
      PAYMENT_RESOLUTION_DEADLINE_MS: '10m',
      WEBHOOK_RETRY_DELAYS_MS: '1000,,5000',
      DATABASE_POOL_MAX: 'lots',
      LEDGER_BATCHES_IN_FLIGHT: '0',
      OUTBOX_RELAY: 'disabled',
    };
    for (const [name, value] of Object.entries(bad)) {
      expect(() => parseEnv({ [name]: value }), `${name}=${value}`).toThrow(new RegExp(`^Invalid environment:\\n  - ${name}: `));
    }
    // the outbox relay holds one connection for its transaction and creates deliveries on another
    expect(() => parseEnv({ DATABASE_POOL_MAX: '1' })).toThrow(/DATABASE_POOL_MAX/);
  });

  it('validates a process\'s own variables with its own schema, the same way', () => {
    const schema = z.object({ BENCH_RUNS: z.coerce.number().int().min(1).default(3) });
    expect(parseEnvWith(schema, { BENCH_RUNS: '' })).toEqual({ BENCH_RUNS: 3 });
    expect(() => parseEnvWith(schema, { BENCH_RUNS: 'x' })).toThrow(EnvError);
    expect(() => parseEnvWith(schema, { BENCH_RUNS: 'x' })).toThrow(/BENCH_RUNS/);
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv({ PORT: '', DATABASE_URL: '' }).PORT).toBe(3000);
  });

  it('names every bad variable', () => {
    try {
      parseEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://x', STORE_SECRET_KEY: 'pk_live_1', TRUST_PROXY: 'maybe' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EnvError);
      const message = (err as EnvError).message;
      for (const name of ['PORT', 'DATABASE_URL', 'STORE_SECRET_KEY', 'TRUST_PROXY']) expect(message).toContain(name);
    }
  });
});

describe('M-Pesa Till and the STK prompt lifetime', () => {
  it('validates the till number and refuses an STK push to a till without one', () => {
    expect(parseEnv({}).DARAJA_TILL_NUMBER).toBeUndefined();
    expect(parseEnv({}).DARAJA_STK_TRANSACTION_TYPE).toBe('CustomerPayBillOnline');
    expect(parseEnv({ DARAJA_TILL_NUMBER: '5566778' }).DARAJA_TILL_NUMBER).toBe('5566778');
    expect(() => parseEnv({ DARAJA_TILL_NUMBER: '12-34' })).toThrow(/DARAJA_TILL_NUMBER: must be a 5-7 digit till number/);
    expect(() => parseEnv({ DARAJA_STK_TRANSACTION_TYPE: 'CustomerBuyGoodsOnline' })).toThrow(/DARAJA_STK_TRANSACTION_TYPE: .*set DARAJA_TILL_NUMBER/);
    expect(() => parseEnv({ DARAJA_STK_TRANSACTION_TYPE: 'BuyGoods' })).toThrow(/DARAJA_STK_TRANSACTION_TYPE/);
  });

  it('takes a prompt lifetime between 10 s and 10 min (60 s by default), naming the variable otherwise', () => {
    expect(parseEnv({}).DARAJA_STK_PROMPT_LIFETIME_MS).toBe(60_000);
    expect(parseEnv({ DARAJA_STK_PROMPT_LIFETIME_MS: '180000' }).DARAJA_STK_PROMPT_LIFETIME_MS).toBe(180_000);
    expect(() => parseEnv({ DARAJA_STK_PROMPT_LIFETIME_MS: '5000' })).toThrow(/DARAJA_STK_PROMPT_LIFETIME_MS/);
    expect(() => parseEnv({ DARAJA_STK_PROMPT_LIFETIME_MS: 'a minute' })).toThrow(/DARAJA_STK_PROMPT_LIFETIME_MS/);
  });
});
