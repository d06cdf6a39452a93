import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import { createBackoff, type RetryStrategy } from './backoff';

export interface RetryPolicyOptions {
  strategy: RetryStrategy;
  /** Retries after the first try (so maxRetries + 1 calls at most). */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The whole call, all tries and waits included, gives up after this long. */
  totalTimeoutMs: number;
  /** Which failures are worth another try (others fail at once). */
  isTransient: (err: Error) => boolean;
}

export interface ResilientPolicy {
  execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/** Thrown when the total time budget ran out across retries. */
export class RetryBudgetExceededError extends Error {
  constructor(ms: number) {
    super(`gave up after ${ms} ms of retries`);
    this.name = 'RetryBudgetExceededError';
  }
}

/**
 * Retries bounded in count AND total time, with one of the five interval strategies. The inner
 * function gets an AbortSignal that fires when the total budget runs out.
 */
export function createRetryPolicy(options: RetryPolicyOptions): ResilientPolicy {
  const retries = retry(handleWhen(options.isTransient), {
    maxAttempts: options.maxRetries,
    backoff: createBackoff(options),
  });
  const budget = timeout(options.totalTimeoutMs, TimeoutStrategy.Aggressive);
  const policy: IPolicy = wrap(budget, retries);
  return {
    async execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
      try {
        return (await policy.execute(({ signal }) => fn(signal))) as T;
      } catch (err) {
        if (err instanceof TaskCancelledError) throw new RetryBudgetExceededError(options.totalTimeoutMs);
        throw err;
      }
    },
  };
}

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before one trial call is let through. */
  halfOpenAfterMs: number;
  /** Which failures count against the dependency (e.g. not a card decline). */
  isFailure: (err: Error) => boolean;
}

export function createCircuitBreaker(options: BreakerOptions): CircuitBreakerPolicy {
  return circuitBreaker(handleWhen(options.isFailure), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.failureThreshold),
  });
}

export function isBrokenCircuit(err: unknown): err is BrokenCircuitError {
  return err instanceof BrokenCircuitError;
}

/** Runs `primary`; on a failure `shouldFallBack` accepts, runs `secondary` instead. */
export async function withFallback<T>(primary: () => Promise<T>, secondary: () => Promise<T>, shouldFallBack: (err: unknown) => boolean): Promise<T> {
  try {
    return await primary();
  } catch (err) {
    if (!shouldFallBack(err)) throw err;
    return secondary();
  }
}
