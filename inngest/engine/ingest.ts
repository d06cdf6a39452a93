import { z } from 'zod';
import type { Db, Tx } from '@/db/client';
import { newId } from '@/lib/ids';
import { BatchAppends } from './batches';
import { evaluateExpression, parseExpression } from './expression';
import type { CompiledFunction } from './function-config';
import {
  claimKeys,
  insertRuns,
  loadFunctions,
  notifyWorkers,
  openEventWaits,
  planRun,
  resolveWait,
  wakeRun,
  type NewRunRow,
} from './store';

/** An event as the SDK's inngest.send() posts it to `/e/<event key>`. */
export const incomingEventSchema = z
  .object({
    name: z.string().min(1),
    data: z.record(z.string(), z.unknown()).optional(),
    id: z.string().min(1).optional(),
    ts: z.number().optional(),
    user: z.record(z.string(), z.unknown()).optional(),
    v: z.string().optional(),
  })
  .passthrough();
export type IncomingEvent = z.infer<typeof incomingEventSchema>;

export interface IngestResult {
  /** One id per event, in order (the caller's id when given, as Inngest dedupes on it). */
  ids: string[];
  runIds: string[];
}

/** The event exactly as functions receive it. */
function normalizeEvent(event: IncomingEvent): Record<string, unknown> {
  return { ...event, id: event.id ?? newId('event'), data: event.data ?? {}, ts: event.ts ?? Date.now() };
}

function triggersOn(fn: CompiledFunction, event: Record<string, unknown>): boolean {
  return fn.eventTriggers.some(
    (trigger) => trigger.event === event.name && (!trigger.expression || evaluateExpression(trigger.expression, { event })),
  );
}

/**
 * Resolves the step.waitForEvent calls these events match, with one read of the open waits for
 * all of them. Events are taken in order, so a wait two of them match gets the first.
 */
async function resolveMatchingWaits(tx: Tx, events: Record<string, unknown>[]): Promise<void> {
  const waits = await openEventWaits(tx, [...new Set(events.map((event) => String(event.name)))]);
  if (waits.length === 0) return;
  const resolved = new Set<(typeof waits)[number]>();
  for (const event of events) {
    for (const wait of waits) {
      if (resolved.has(wait) || wait.eventName !== event.name) continue;
      // `event` is the waiting run's trigger, `async` the incoming event (Inngest's naming)
      const matches =
        !wait.expression ||
        evaluateExpression(parseExpression(wait.expression, ['event', 'async']), { event: wait.runEvent, async: event });
      if (!matches) continue;
      resolved.add(wait);
      if (await resolveWait(tx, wait.runId, wait.stepId, event)) await wakeRun(tx, wait.runId);
    }
  }
}

/**
 * Accepts events in one transaction: dedupes by event id (24h), fans each event out to every
 * function it triggers (honouring idempotency keys), and resolves matching step.waitForEvent.
 * However many events, the ids are claimed in one statement, the runs inserted in one and the
 * waits read in one.
 */
export async function ingestEvents(db: Db, rawEvents: unknown[], preloaded?: CompiledFunction[]): Promise<IngestResult> {
  const events = rawEvents.map((raw) => incomingEventSchema.parse(raw));
  const functions = preloaded ?? (await loadFunctions(db));
  return db.transaction(async (tx) => {
    const normalized = events.map((incoming) => ({ incoming, event: normalizeEvent(incoming) }));
    // a caller-chosen id seen in the last 24h (or earlier in this call) means a resend: accept it but start nothing
    const callerIds = [...new Set(events.flatMap((incoming) => (incoming.id ? [incoming.id] : [])))];
    const fresh = await claimKeys(tx, 'event', callerIds);
    const accepted = normalized.filter(({ incoming }) => !incoming.id || fresh.delete(incoming.id)).map(({ event }) => event);
    // events of batched functions, written together once the loop is done
    const batches = new BatchAppends();
    const runs: NewRunRow[] = [];
    for (const event of accepted) await planFanOut(tx, functions, event, batches, runs);
    const runIds = await insertRuns(tx, runs);
    runIds.push(...(await batches.flush(tx)));
    await resolveMatchingWaits(tx, accepted);
    await notifyWorkers(tx);
    return { ids: normalized.map(({ event }) => String(event.id)), runIds };
  });
}

/** The runs `event` triggers, added to `runs`; a batched function's event joins `batches` instead. */
async function planFanOut(
  tx: Tx,
  functions: CompiledFunction[],
  event: Record<string, unknown>,
  batches: BatchAppends,
  runs: NewRunRow[],
): Promise<void> {
  for (const fn of functions) {
    if (!triggersOn(fn, event)) continue;
    // batchEvents.if false for this event: it runs alone, at once, as in Inngest
    if (fn.batch && (!fn.batch.condition || evaluateExpression(fn.batch.condition, { event }))) {
      batches.add(fn, event);
      continue;
    }
    const run = await planRun(tx, fn, event);
    if (run) runs.push(run);
  }
}

/** Starts the runs `event` triggers (and the batches it fills). Returns the new run ids. */
export async function fanOut(tx: Tx, functions: CompiledFunction[], event: Record<string, unknown>): Promise<string[]> {
  const batches = new BatchAppends();
  const runs: NewRunRow[] = [];
  await planFanOut(tx, functions, event, batches, runs);
  const runIds = await insertRuns(tx, runs);
  runIds.push(...(await batches.flush(tx)));
  return runIds;
}
