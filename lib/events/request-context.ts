import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The API request whose work is running, so every event it causes carries Stripe's
 * `request: { id, idempotency_key }` without each domain function taking two more arguments.
 * Set by the public API's request wrapper (lib/http/api.ts); background work (PSP callbacks,
 * the engine's functions) runs outside it, and its events say `request: { id: null, ... }`, as
 * Stripe's events of automatic actions do.
 */
export interface EventRequestContext {
  requestId: string;
  idempotencyKey: string | null;
}

const storage = new AsyncLocalStorage<EventRequestContext>();

export function runWithEventRequest<T>(context: EventRequestContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(context, fn);
}

export function currentEventRequest(): EventRequestContext | undefined {
  return storage.getStore();
}
