import type { CircuitBreakerPolicy } from 'cockatiel';
import { env, requireSecret } from '@/lib/env';
import {
  createCircuitBreaker,
  createRetryPolicy,
  isBrokenCircuit,
  RetryBudgetExceededError,
  type ResilientPolicy,
} from '@/lib/resilience/policies';
import { PspError } from '@/lib/psp/types';
import { createDarajaClient, DarajaError, type DarajaClient, type DarajaConfig } from './client';

export * from './client';
export * from './org-client';
export * from './paybill';
export * from './till';
export * from './format';
export * from './result-codes';

/** The `psp` of M-Pesa payment attempts (the ledger books captures per PSP). */
export const MPESA_PSP = 'mpesa';

/** Spike arrest and refused connections: Daraja never acted, so sending again is safe. */
const notActedOn = (err: Error) =>
  err instanceof DarajaError && (err.isSpikeArrest || (err.kind === 'unreachable' && !err.requestSent));
/** A query is a read: any failure to get an answer may be retried. */
const queryRetryable = (err: Error) =>
  notActedOn(err) ||
  (err instanceof PspError && (err.kind === 'unreachable' || err.kind === 'timeout' || err.kind === 'server_error'));
const breakerFailure = (err: Error) =>
  err instanceof PspError && (err.kind === 'unreachable' || err.kind === 'timeout' || err.kind === 'server_error');

export interface DarajaPolicies {
  push: ResilientPolicy;
  query: ResilientPolicy;
  breaker: CircuitBreakerPolicy;
}

export function defaultDarajaPolicies(): DarajaPolicies {
  const e = env();
  const common = {
    strategy: 'exponential' as const,
    maxRetries: e.DARAJA_MAX_RETRIES,
    baseDelayMs: e.DARAJA_RETRY_BASE_MS,
    maxDelayMs: e.DARAJA_RETRY_MAX_DELAY_MS,
    totalTimeoutMs: e.DARAJA_RETRY_BUDGET_MS,
  };
  return {
    push: createRetryPolicy({ ...common, isTransient: notActedOn }),
    query: createRetryPolicy({ ...common, isTransient: queryRetryable }),
    breaker: createCircuitBreaker({
      failureThreshold: e.PSP_BREAKER_THRESHOLD,
      halfOpenAfterMs: e.PSP_BREAKER_HALF_OPEN_MS,
      isFailure: breakerFailure,
    }),
  };
}

/**
 * Retries (bounded in count and time) around a circuit breaker around each Daraja call. An STK
 * push is retried only when Daraja never acted on it (spike arrest, connection refused): Daraja
 * has no idempotency key, so re-sending after a timeout could prompt the customer twice.
 */
export function withDarajaResilience(client: DarajaClient, policies: DarajaPolicies): DarajaClient {
  const run = async <T>(policy: ResilientPolicy, fn: () => Promise<T>): Promise<T> => {
    try {
      return await policy.execute(() => policies.breaker.execute(fn));
    } catch (err) {
      if (isBrokenCircuit(err))
        throw new DarajaError('unreachable', 'Daraja: circuit open after repeated failures', false, undefined, undefined, true);
      if (err instanceof RetryBudgetExceededError)
        throw new DarajaError('timeout', `Daraja: ${err.message}`, true, undefined, undefined, false);
      throw err;
    }
  };
  return {
    get tokensFetched() {
      return client.tokensFetched;
    },
    capabilities: client.capabilities,
    // Not retried here: a reversal may not be re-sent blindly; the refund flow asks Transaction Status instead.
    org: client.org,
    accessToken: () => client.accessToken(),
    settlementReport: (range) => client.settlementReport(range),
    stkPush: (request) => run(policies.push, () => client.stkPush(request)),
    stkQuery: (id) => run(policies.query, () => client.stkQuery(id)),
  };
}

export function darajaConfigFromEnv(): DarajaConfig {
  const e = env();
  return {
    baseUrl: e.DARAJA_BASE_URL,
    consumerKey: requireSecret('DARAJA_CONSUMER_KEY'),
    consumerSecret: requireSecret('DARAJA_CONSUMER_SECRET'),
    shortcode: e.DARAJA_SHORTCODE,
    passkey: requireSecret('DARAJA_PASSKEY'),
    timeoutMs: e.PSP_TIMEOUT_MS,
    // parseEnv refuses CustomerBuyGoodsOnline without a till number
    stkTo:
      e.DARAJA_STK_TRANSACTION_TYPE === 'CustomerBuyGoodsOnline' && e.DARAJA_TILL_NUMBER
        ? { transactionType: 'CustomerBuyGoodsOnline', tillNumber: e.DARAJA_TILL_NUMBER }
        : { transactionType: 'CustomerPayBillOnline' },
  };
}

let current: { key: string; client: DarajaClient } | undefined;

/** The Daraja client for the configured environment (rebuilt when the configuration changes). */
export function getDaraja(): DarajaClient {
  const config = darajaConfigFromEnv();
  const key = [
    config.baseUrl,
    config.consumerKey,
    config.consumerSecret,
    config.shortcode,
    config.passkey,
    config.timeoutMs,
    JSON.stringify(config.stkTo),
  ].join('|');
  if (current?.key !== key) current = { key, client: withDarajaResilience(createDarajaClient(config), defaultDarajaPolicies()) };
  return current.client;
}

export function resetDaraja(): void {
  current = undefined;
}

/** The secret path segment of our callback URL: an install secret of its own, never derived from another value. */
export function darajaCallbackToken(): string {
  return requireSecret('DARAJA_CALLBACK_TOKEN');
}

/**
 * Where Daraja POSTs the Results of reversals, B2C and Transaction Status queries, and their queue
 * timeouts. Not under /mpesa: Safaricom refuses URLs containing "mpesa" (and other words) for C2B,
 * so every Daraja URL but the STK callback lives under /api/psp/daraja.
 */
export function darajaResultUrls(): { resultUrl: string; queueTimeoutUrl: string } {
  const base = `${env().APP_URL}/api/psp/daraja`;
  return { resultUrl: `${base}/result/${darajaCallbackToken()}`, queueTimeoutUrl: `${base}/timeout/${darajaCallbackToken()}` };
}

/** Our C2B ValidationURL and ConfirmationURL (and the Pull Transactions callback), under /api/psp/daraja. */
export function darajaC2bUrls(): { validationUrl: string; confirmationUrl: string; pullCallbackUrl: string } {
  const base = `${env().APP_URL}/api/psp/daraja/c2b`;
  const token = darajaCallbackToken();
  return { validationUrl: `${base}/validation/${token}`, confirmationUrl: `${base}/confirmation/${token}`, pullCallbackUrl: `${base}/confirmation/${token}` };
}

export function darajaCallbackUrl(): string {
  return `${env().APP_URL}/api/psp/mpesa/callback/${darajaCallbackToken()}`;
}
