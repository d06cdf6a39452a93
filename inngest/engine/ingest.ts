import { z } from 'zod';
import type { Db, Tx } from '@/db/client';
import { newId } from '@/lib/ids';
import { BatchAppends } from './batches';
import { evaluateExpression, parseExpression } from './expression';
import type { CompiledFunction } from './function-config';
import { claimKey, createRun, loadFunctions, notifyWorkers, openEventWaits, resolveWait, wakeRun } from './store';

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

async function resolveMatchingWaits(tx: Tx, event: Record<string, unknown>): Promise<void> {
  for (const wait of await openEventWaits(tx, String(event.name))) {
    // `event` is the waiting run's trigger, `async` the incoming event (Inngest's naming)
    const matches =
      !wait.expression ||
      evaluateExpression(parseExpression(wait.expression, ['event', 'async']), { event: wait.runEvent, async: event });
    if (matches && (await resolveWait(tx, wait.runId, wait.stepId, event))) await wakeRun(tx, wait.runId);
  }
}

/**
 * Accepts events in one transaction: dedupes by event id (24h), fans each event out to every
 * function it triggers (honouring idempotency keys), and resolves matching step.waitForEvent.
 */
export async function ingestEvents(db: Db, rawEvents: unknown[], preloaded?: CompiledFunction[]): Promise<IngestResult> {
  const events = rawEvents.map((raw) => incomingEventSchema.parse(raw));
  const functions = preloaded ?? (await loadFunctions(db));
  return db.transaction(async (tx) => {
    const result: IngestResult = { ids: [], runIds: [] };
    // events of batched functions, written together once the loop is done
    const batches = new BatchAppends();
    for (const incoming of events) {
      const event = normalizeEvent(incoming);
      result.ids.push(String(event.id));
      // a caller-chosen id seen in the last 24h means a resend: accept it but start nothing
      if (incoming.id && !(await claimKey(tx, 'event', incoming.id))) continue;
      result.runIds.push(...(await fanOut(tx, functions, event, batches)));
      await resolveMatchingWaits(tx, event);
    }
    result.runIds.push(...(await batches.flush(tx)));
    await notifyWorkers(tx);
    return result;
  });
}

/**
 * Starts the runs `event` triggers. A batched function's event joins its batch instead (in
 * `batches` when the caller flushes them later, else at once), unless batchEvents.if is false for
 * it: then it runs alone, at once, as in Inngest.
 */
export async function fanOut(
  tx: Tx,
  functions: CompiledFunction[],
  event: Record<string, unknown>,
  batches?: BatchAppends,
): Promise<string[]> {
  const runIds: string[] = [];
  const appends = batches ?? new BatchAppends();
  for (const fn of functions) {
    if (!triggersOn(fn, event)) continue;
    if (fn.batch && (!fn.batch.condition || evaluateExpression(fn.batch.condition, { event }))) {
      appends.add(fn, event);
      continue;
    }
    const runId = await createRun(tx, fn, event);
    if (runId) runIds.push(runId);
  }
  if (!batches) runIds.push(...(await appends.flush(tx)));
  return runIds;
}
