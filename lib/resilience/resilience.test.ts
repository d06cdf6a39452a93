import { describe, expect, it } from 'vitest';
import { delayFor, type RetryStrategy } from './backoff';
import { createCircuitBreaker, createRetryPolicy, isBrokenCircuit, RetryBudgetExceededError, withFallback } from './policies';

const opts = (strategy: RetryStrategy) => ({ strategy, baseDelayMs: 100, maxDelayMs: 1_000 });

describe('retry interval strategies (the seed’s five)', () => {
  it('immediate retries at once', () => {
    expect([1, 2, 3].map((a) => delayFor(a, opts('immediate')))).toEqual([0, 0, 0]);
  });
  it('fixed waits k every time', () => {
    expect([1, 2, 3].map((a) => delayFor(a, opts('fixed')))).toEqual([100, 100, 100]);
  });
  it('incremental grows linearly', () => {
    expect([1, 2, 3, 4].map((a) => delayFor(a, opts('incremental')))).toEqual([100, 200, 300, 400]);
  });
  it('exponential doubles (2^t) and is capped', () => {
    expect([1, 2, 3, 4, 5].map((a) => delayFor(a, opts('exponential')))).toEqual([100, 200, 400, 800, 1_000]);
  });
  it('random draws around the exponential mean and stays within the cap', () => {
    expect(delayFor(1, { ...opts('random'), random: () => 0 })).toBe(0);
    expect(delayFor(1, { ...opts('random'), random: () => 1 - Math.exp(-1) })).toBe(100); // the mean
    expect(delayFor(10, { ...opts('random'), random: () => 0.999999 })).toBe(1_000);
    const samples = Array.from({ length: 2_000 }, () => delayFor(3, opts('random')));
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(250);
    expect(mean).toBeLessThan(400); // ~400 before capping at 1000 trims the tail
  });
});

class Transient extends Error {}

describe('retry policy', () => {
  it('retries transient failures up to maxRetries, then succeeds', async () => {
    let calls = 0;
    const policy = createRetryPolicy({ ...opts('fixed'), baseDelayMs: 1, maxRetries: 3, totalTimeoutMs: 5_000, isTransient: (e) => e instanceof Transient });
    const result = await policy.execute(async () => {
      calls++;
      if (calls < 3) throw new Transient('flaky');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('stops after maxRetries and rethrows', async () => {
    let calls = 0;
    const policy = createRetryPolicy({ ...opts('immediate'), maxRetries: 2, totalTimeoutMs: 5_000, isTransient: () => true });
    await expect(policy.execute(async () => {
      calls++;
      throw new Transient('down');
    })).rejects.toThrow('down');
    expect(calls).toBe(3);
  });

  it('does not retry a failure that is not transient', async () => {
    let calls = 0;
    const policy = createRetryPolicy({ ...opts('immediate'), maxRetries: 5, totalTimeoutMs: 5_000, isTransient: (e) => e instanceof Transient });
    await expect(policy.execute(async () => {
      calls++;
      throw new Error('card declined');
    })).rejects.toThrow('card declined');
    expect(calls).toBe(1);
  });

  it('is bounded in total time as well as count', async () => {
    const policy = createRetryPolicy({ ...opts('fixed'), baseDelayMs: 50, maxRetries: 1_000, totalTimeoutMs: 300, isTransient: () => true });
    const started = Date.now();
    await expect(policy.execute(async () => {
      throw new Transient('down');
    })).rejects.toBeInstanceOf(RetryBudgetExceededError);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('circuit breaker and fallback', () => {
  it('opens after consecutive failures and then fails fast without calling', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 3, halfOpenAfterMs: 60_000, isFailure: () => true });
    let calls = 0;
    const call = () => breaker.execute(async () => {
      calls++;
      throw new Transient('down');
    });
    for (let i = 0; i < 3; i++) await expect(call()).rejects.toThrow('down');
    const err = await call().catch((e: unknown) => e);
    expect(isBrokenCircuit(err)).toBe(true);
    expect(calls).toBe(3);
  });

  it('falls back only on the failures it is told to', async () => {
    expect(await withFallback(async () => { throw new Transient('x'); }, async () => 'secondary', (e) => e instanceof Transient)).toBe('secondary');
    await expect(withFallback(async () => { throw new Error('decline'); }, async () => 'secondary', (e) => e instanceof Transient)).rejects.toThrow('decline');
  });
});
