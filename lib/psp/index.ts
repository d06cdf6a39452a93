import type { CircuitBreakerPolicy } from 'cockatiel';
import { eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { merchantSettings } from '@/db/schema';
import { env } from '@/lib/env';
import { createCircuitBreaker, createRetryPolicy, isBrokenCircuit, RetryBudgetExceededError, type ResilientPolicy } from '@/lib/resilience/policies';
import { CARD_PSP_CAPABILITIES, isCardPspName, planCardRoute, type CardPspName, type CardRoutePlan } from './routing';
import { createSandboxCardAdapter } from './sandbox-card';
import { createStripeAdapter } from './stripe/adapter';
import { NO_CAPABILITIES, PspError, type CardPspAdapter, type PaymentMethodType } from './types';

export * from './types';

const isTransient = (err: Error) => err instanceof PspError && (err.kind === 'unreachable' || err.kind === 'timeout' || err.kind === 'server_error');

/**
 * Every PSP call runs as: retry (bounded in count and total time, PSP_RETRY_STRATEGY) around a
 * per-PSP circuit breaker around the adapter call (which has its own per-call timeout).
 * Safe to retry because each state-changing call carries the same PSP idempotency key on every
 * try: the PSP applies it once and answers the repeats with the first result.
 * An open circuit fails fast as "unreachable, not sent", so callers know nothing was charged.
 */
export function withResilience(adapter: CardPspAdapter, policy: ResilientPolicy, breaker: CircuitBreakerPolicy): CardPspAdapter {
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    // Whether any try may have reached the PSP: a later "not sent" (an open circuit) must not
    // hide it, or a caller would fail over and charge twice.
    let sent = false;
    const tracked = async () => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof PspError && err.requestSent) sent = true;
        throw err;
      }
    };
    try {
      return await policy.execute(() => breaker.execute(tracked));
    } catch (err) {
      if (isBrokenCircuit(err)) throw new PspError('unreachable', `${adapter.name}: circuit open after repeated failures`, sent);
      if (err instanceof RetryBudgetExceededError) throw new PspError('timeout', `${adapter.name}: ${err.message}`, true);
      if (err instanceof PspError && !err.requestSent && sent) throw new PspError(err.kind, `${err.message} (an earlier try was sent)`, true, err.httpStatus);
      throw err;
    }
  };
  return {
    name: adapter.name,
    retrieveCardToken: (token, merchantId) => run(() => adapter.retrieveCardToken(token, merchantId)),
    authorize: (request) => run(() => adapter.authorize(request)),
    retrieve: (ref) => run(() => adapter.retrieve(ref)),
    capture: (ref, amount, key) => run(() => adapter.capture(ref, amount, key)),
    cancel: (ref, key) => run(() => adapter.cancel(ref, key)),
    refund: (ref, amount, key) => run(() => adapter.refund(ref, amount, key)),
    retrieveRefund: (ref) => run(() => adapter.retrieveRefund(ref)),
    // Safe to retry: the idempotency key returns the card on file already issued.
    ...(adapter.saveCard ? { saveCard: (token: string, merchantId: string, key: string) => run(() => adapter.saveCard!(token, merchantId, key)) } : {}),
    capabilities: adapter.capabilities ?? NO_CAPABILITIES,
    ...(adapter.feeSchedule ? { feeSchedule: adapter.feeSchedule } : {}),
    // Fetching the file is a read (safe to retry); its streamed body is read once, unretried.
    ...(adapter.settlementFile ? { settlementFile: (date: string) => run(() => adapter.settlementFile!(date)) } : {}),
    // A read: retrying it is always safe.
    settlementReport: (range) =>
      adapter.settlementReport
        ? run(() => adapter.settlementReport!(range))
        : Promise.reject(new PspError('rejected', `${adapter.name}: no settlement report`, false)),
  };
}

export function defaultPspPolicy(): ResilientPolicy {
  const e = env();
  return createRetryPolicy({
    strategy: e.PSP_RETRY_STRATEGY,
    maxRetries: e.PSP_MAX_RETRIES,
    baseDelayMs: e.PSP_RETRY_BASE_MS,
    maxDelayMs: e.PSP_RETRY_MAX_DELAY_MS,
    totalTimeoutMs: e.PSP_RETRY_BUDGET_MS,
    isTransient,
  });
}

export function defaultPspBreaker(): CircuitBreakerPolicy {
  const { PSP_BREAKER_THRESHOLD, PSP_BREAKER_HALF_OPEN_MS } = env();
  return createCircuitBreaker({ failureThreshold: PSP_BREAKER_THRESHOLD, halfOpenAfterMs: PSP_BREAKER_HALF_OPEN_MS, isFailure: isTransient });
}

const adapters = new Map<CardPspName, CardPspAdapter>();

/** Why a PSP cannot be used in this deployment, or null when it can. */
export function pspDisabledReason(name: string): string | null {
  if (name === 'stripe' && !env().STRIPE_SECRET_KEY) return 'STRIPE_SECRET_KEY is not set';
  return null;
}

/**
 * A card PSP by name, wrapped in the resilience policy with its own circuit breaker (one PSP
 * failing never opens another's circuit). Calls about an existing attempt (resolve, capture,
 * cancel, refund) must go to the attempt's own PSP: getPspByName(attempt.psp).
 * A disabled or unknown PSP answers every call with "unreachable, not sent".
 */
export function getPspByName(name: string): CardPspAdapter {
  if (!isCardPspName(name)) return unavailableAdapter(name, 'not a card PSP');
  const disabled = pspDisabledReason(name);
  if (disabled) return unavailableAdapter(name, disabled);
  let adapter = adapters.get(name);
  if (!adapter) {
    const raw = name === 'stripe' ? createStripeAdapter() : createSandboxCardAdapter();
    adapter = withResilience(raw, defaultPspPolicy(), defaultPspBreaker());
    adapters.set(name, adapter);
  }
  return adapter;
}

function unavailableAdapter(name: string, reason: string): CardPspAdapter {
  const fail = () => Promise.reject(new PspError('unreachable', `${name}: disabled (${reason})`, false));
  return {
    name,
    capabilities: isCardPspName(name) ? CARD_PSP_CAPABILITIES[name] : NO_CAPABILITIES,
    retrieveCardToken: fail,
    authorize: fail,
    retrieve: fail,
    capture: fail,
    cancel: fail,
    refund: fail,
    retrieveRefund: fail,
    settlementReport: fail,
  };
}

/** The offline sandbox card network (the default card PSP). */
export function getCardPsp(): CardPspAdapter {
  return getPspByName('sandbox_card');
}

/**
 * The card PSPs to try for one payment of a merchant, in order: the merchant's preference for
 * cards (dashboard settings; default sandbox_card then stripe), minus disabled PSPs and those
 * that cannot charge this payment method or (when given) this currency, per their capabilities.
 */
export async function routeCardPayment(merchantId: string, paymentMethod: string, currency?: string): Promise<CardRoutePlan> {
  const preference = await merchantPspOrder(merchantId, 'card');
  return planCardRoute({ preference, disabled: pspDisabledReason, paymentMethod, ...(currency ? { currency } : {}) });
}

/**
 * The merchant's saved PSP order for a payment method (dashboard settings), or null for the
 * default. The one place that reads it: confirm's router and the pay page's card form both ask here.
 */
export async function merchantPspOrder(merchantId: string, method: PaymentMethodType): Promise<readonly string[] | null> {
  const [row] = await getDb().select({ pspRouting: merchantSettings.pspRouting }).from(merchantSettings).where(eq(merchantSettings.merchantId, merchantId));
  const saved = row?.pspRouting?.[method];
  return saved?.length ? saved : null;
}

/** For tests that point an adapter somewhere else: every PSP gets a fresh adapter and breaker. */
export function resetCardPsp(): void {
  adapters.clear();
}
