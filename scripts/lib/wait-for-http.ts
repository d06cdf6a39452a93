import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `url` until it answers with any HTTP status (the server is up), or `signal` aborts.
 * Resolves true when it answered.
 */
export async function waitForHttp(url: string, options: { intervalMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
  const intervalMs = options.intervalMs ?? 500;
  while (!options.signal?.aborted) {
    try {
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(60_000) });
      await res.body?.cancel();
      return true;
    } catch {
      // not listening yet
    }
    try {
      await sleep(intervalMs, undefined, { signal: options.signal });
    } catch {
      return false; // aborted
    }
  }
  return false;
}
