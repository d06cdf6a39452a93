import { DelegateBackoff, type IBackoffFactory, type IRetryBackoffContext } from 'cockatiel';

/**
 * The seed's five retry-interval strategies, as cockatiel backoffs. `attempt` is 1 for the wait
 * after the first failure.
 * - immediate:   t -> 0 (rarely useful: the cause has seldom gone away)
 * - fixed:       t = k
 * - incremental: t_i = t_(i-1) + k (linear: base + step * (i - 1))
 * - exponential: t = base * 2^(i-1), capped
 * - random:      t drawn from an exponential distribution (the gaps of a Poisson process) around
 *                the exponential schedule: full jitter, so many clients do not retry in lockstep
 */
export type RetryStrategy = 'immediate' | 'fixed' | 'incremental' | 'exponential' | 'random';
export const RETRY_STRATEGIES: readonly RetryStrategy[] = ['immediate', 'fixed', 'incremental', 'exponential', 'random'];

export interface BackoffOptions {
  strategy: RetryStrategy;
  /** fixed: the interval; incremental: the first interval and the step; exponential/random: the first interval. */
  baseDelayMs: number;
  /** Upper bound on any single wait. */
  maxDelayMs: number;
  /** For "random": the source of randomness in [0, 1) (injectable for tests). */
  random?: () => number;
}

export function delayFor(attempt: number, options: BackoffOptions): number {
  const { baseDelayMs: base, maxDelayMs: max } = options;
  const cap = (ms: number) => Math.max(0, Math.min(Math.round(ms), max));
  switch (options.strategy) {
    case 'immediate':
      return 0;
    case 'fixed':
      return cap(base);
    case 'incremental':
      return cap(base * attempt);
    case 'exponential':
      return cap(base * 2 ** (attempt - 1));
    case 'random': {
      const mean = Math.min(base * 2 ** (attempt - 1), max);
      const u = (options.random ?? Math.random)();
      return cap(-Math.log(1 - u) * mean);
    }
  }
}

export function createBackoff(options: BackoffOptions): IBackoffFactory<IRetryBackoffContext<unknown>> {
  return new DelegateBackoff((context: IRetryBackoffContext<unknown>) => delayFor(context.attempt, options));
}
