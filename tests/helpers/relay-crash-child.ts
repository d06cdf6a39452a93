/**
 * Test helper run as its own process: relays the outbox to the engine's event API, then kills
 * itself with SIGKILL after the events were sent and before the transaction that marks them
 * sent can commit — the crash window the outbox design must survive.
 */
import { closeDb } from '@/db/client';
import { relayOutboxBatch } from '@/lib/events/relay';

const eventApiUrl = process.env.ENGINE_EVENT_URL;
if (!eventApiUrl) throw new Error('ENGINE_EVENT_URL is required');

await relayOutboxBatch(async (events) => {
  const res = await fetch(eventApiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  if (!res.ok) throw new Error(`event API answered ${res.status}`);
  process.kill(process.pid, 'SIGKILL');
});
await closeDb();
