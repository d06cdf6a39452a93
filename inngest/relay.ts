import { env } from '@/lib/env';
import { inngest } from './client';
import { startOutboxRelay, type RelayLoop } from '@/lib/events/relay';

const holder = globalThis as unknown as { __outboxRelay?: RelayLoop };

/**
 * Starts the outbox relay in this server process (once, even across dev hot reloads). Every app
 * instance may run one: an advisory lock lets one relay at a time, so order is kept.
 * OUTBOX_RELAY=off disables it (e.g. when a dedicated process runs it).
 */
export function ensureOutboxRelay(): void {
  if (env().OUTBOX_RELAY === 'off' || holder.__outboxRelay) return;
  holder.__outboxRelay = startOutboxRelay({
    send: async (events) => {
      await inngest.send(events);
    },
  });
}
