import type { CircuitBreakerPolicy } from 'cockatiel';
import { RETRY_STRATEGIES, type RetryStrategy } from '@/lib/resilience/backoff';
import { createCircuitBreaker, createRetryPolicy, isBrokenCircuit, RetryBudgetExceededError, type ResilientPolicy } from '@/lib/resilience/policies';
import { createSandboxCardAdapter } from './sandbox-card';
import { PspError, type CardPspAdapter } from './types';

export * from './types';

const isTransient = (err: Error) => err instanceof PspError && (err.kind === 'unreachable' || err.kind === 'timeout' || err.kind === 'server_error');

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v >= 0 ? v : fallback;
}

function envStrategy(): RetryStrategy {
  const v = process.env.PSP_RETRY_STRATEGY as RetryStrategy | undefined;
  return v && RETRY_STRATEGIES.includes(v) ? v : 'exponential';
}

/**
 * Every PSP call runs as: retry (bounded in count and total time, PSP_RETRY_STRATEGY) around a
 * per-PSP circuit breaker around the adapter call (which has its own per-call timeout).
 * Safe to retry because each state-changing call carries the same PSP idempotency key on every
 * try: the PSP applies it once and answers the repeats with the first result.
 * An open circuit fails fast as "unreachable, not sent", so callers know nothing was charged.
 */
export function withResilience(adapter: CardPspAdapter, policy: ResilientPolicy, breaker: CircuitBreakerPolicy): CardPspAdapter {
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await policy.execute(() => breaker.execute(fn));
    } catch (err) {
      if (isBrokenCircuit(err)) throw new PspError('unreachable', `${adapter.name}: circuit open after repeated failures`, false);
      if (err instanceof RetryBudgetExceededError) throw new PspError('timeout', `${adapter.name}: ${err.message}`, true);
      throw err;
    }
  };
  return {
    name: adapter.name,
    retrieveCardToken: (token) => run(() => adapter.retrieveCardToken(token)),
    authorize: (request) => run(() => adapter.authorize(request)),
    retrieve: (ref) => run(() => adapter.retrieve(ref)),
    capture: (ref, amount, key) => run(() => adapter.capture(ref, amount, key)),
    cancel: (ref, key) => run(() => adapter.cancel(ref, key)),
    refund: (ref, amount, key) => run(() => adapter.refund(ref, amount, key)),
    retrieveRefund: (ref) => run(() => adapter.retrieveRefund(ref)),
  };
}

export function defaultPspPolicy(): ResilientPolicy {
  return createRetryPolicy({
    strategy: envStrategy(),
    maxRetries: envInt('PSP_MAX_RETRIES', 2),
    baseDelayMs: envInt('PSP_RETRY_BASE_MS', 200),
    maxDelayMs: envInt('PSP_RETRY_MAX_DELAY_MS', 2_000),
    totalTimeoutMs: envInt('PSP_RETRY_BUDGET_MS', 45_000),
    isTransient,
  });
}

export function defaultPspBreaker(): CircuitBreakerPolicy {
  return createCircuitBreaker({ failureThreshold: envInt('PSP_BREAKER_THRESHOLD', 5), halfOpenAfterMs: envInt('PSP_BREAKER_HALF_OPEN_MS', 30_000), isFailure: isTransient });
}

let cardPsp: CardPspAdapter | undefined;

/** The PSP that processes cards (the offline sandbox network until other PSPs are routed). */
export function getCardPsp(): CardPspAdapter {
  cardPsp ??= withResilience(createSandboxCardAdapter(), defaultPspPolicy(), defaultPspBreaker());
  return cardPsp;
}

/** For tests that point the adapter somewhere else. */
export function resetCardPsp(): void {
  cardPsp = undefined;
}
