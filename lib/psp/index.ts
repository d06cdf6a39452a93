import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { createSandboxCardAdapter } from './sandbox-card';
import { PspError, type CardPspAdapter } from './types';

export * from './types';

/**
 * Retries a PSP call on failures that may be transient. Safe because every state-changing call
 * carries the same PSP idempotency key on each try, so the PSP applies it at most once.
 */
const transientRetry = retry(
  handleWhen((err) => err instanceof PspError && (err.kind === 'unreachable' || err.kind === 'timeout' || err.kind === 'server_error')),
  { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 2_000 }) },
);

function withRetries(adapter: CardPspAdapter): CardPspAdapter {
  const run = <T>(fn: () => Promise<T>) => transientRetry.execute(fn);
  return {
    name: adapter.name,
    retrieveCardToken: (token) => run(() => adapter.retrieveCardToken(token)),
    authorize: (request) => run(() => adapter.authorize(request)),
    retrieve: (ref) => run(() => adapter.retrieve(ref)),
    capture: (ref, amount, key) => run(() => adapter.capture(ref, amount, key)),
    cancel: (ref, key) => run(() => adapter.cancel(ref, key)),
  };
}

let cardPsp: CardPspAdapter | undefined;

/** The PSP that processes cards (the offline sandbox network until other PSPs are routed). */
export function getCardPsp(): CardPspAdapter {
  cardPsp ??= withRetries(createSandboxCardAdapter());
  return cardPsp;
}

/** For tests that point the adapter somewhere else. */
export function resetCardPsp(): void {
  cardPsp = undefined;
}
