import type { Db, Tx } from '@/db/client';
import type { EngineRunRow } from '@/db/schema';
import { sleepEndsAt, parseDurationMs } from './duration';
import { parseExpression } from './expression';
import { fanOut } from './ingest';
import { callServeEndpoint, type CallOutcome, type StepOp } from './serve-client';
import {
  completeRunUnderLease,
  ensureWait,
  loadSteps,
  markRunFailed,
  notifyWorkers,
  recordStep,
  recordStepUnderLease,
  rescheduleRun,
  resolveExpiredWaits,
  resolveWait,
  withLease,
  type ClaimedRun,
  type FunctionCache,
  type Lease,
  type StepResult,
} from './store';

export const FUNCTION_FAILED_EVENT = 'inngest/function.failed';

export interface ExecutorOptions {
  db: Db;
  signingKey: string;
  requestTimeoutMs: number;
  /** First retry delay; later ones double (with jitter) up to maxRetryDelayMs. */
  retryBaseMs: number;
  maxRetryDelayMs: number;
  /** How long to wait before calling an app that did not answer. */
  unreachableDelayMs: number;
  /** SDK calls per claim before the run goes back to the queue, so one long run cannot hog a worker. */
  maxCallsPerClaim: number;
  /** The engine's compiled functions (cleared when it syncs). */
  functions: FunctionCache;
  /**
   * Offer the SDK Inngest's async checkpointing (ctx.fn_id + ctx.qi_id): it then runs the steps
   * it can inside one call and POSTs each finished one to /v1/checkpoint/:runId/async on the
   * client's base URL, which must be an engine HTTP server on this database.
   */
  checkpointing: boolean;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** Ops the engine executes; everything else fails the run with a message naming the op. */
const SUPPORTED_OPS = new Set([
  'StepRun',
  'Step',
  'StepError',
  'StepFailed',
  'StepPlanned',
  'Sleep',
  'WaitForEvent',
  'RunComplete',
]);

export function retryDelayMs(attempt: number, options: Pick<ExecutorOptions, 'retryBaseMs' | 'maxRetryDelayMs'>): number {
  const exponential = Math.min(options.retryBaseMs * 2 ** Math.max(attempt - 1, 0), options.maxRetryDelayMs);
  // +-20% jitter so retries of many runs failing together do not arrive together
  return Math.round(exponential * (0.8 + Math.random() * 0.4));
}

function errorRecord(error: unknown): Record<string, unknown> {
  if (error && typeof error === 'object' && !Array.isArray(error)) return error as Record<string, unknown>;
  return { name: 'Error', message: String(error) };
}

/**
 * What one claim knows about its run, so consecutive calls need no re-reads: the run row and its
 * memoized steps came with the claim, and the steps are extended by what this claim records (a
 * write that finds the lease gone throws, so a stale copy is never acted on).
 */
interface ClaimState {
  run: EngineRunRow;
  /** null: read them from the table before the next call */
  steps: { stepId: string; result: StepResult }[] | null;
  /** sleeps or waits may be open: resolve expired ones before the next call */
  openWaits: boolean;
}

/** Drives one claimed run forward until it completes, fails, parks on a wait, or is rescheduled. */
export async function executeRun(options: ExecutorOptions, claimed: ClaimedRun, signal: AbortSignal): Promise<void> {
  const { db } = options;
  const { lease } = claimed;
  // with open waits the steps change before the first call (expired ones are memoized): read them then
  const state: ClaimState = {
    run: claimed.run,
    steps: claimed.hasOpenWaits ? null : claimed.steps,
    openWaits: claimed.hasOpenWaits,
  };
  for (let call = 0; call < options.maxCallsPerClaim; call++) {
    if (state.openWaits) {
      // a sleep that ended or a wait that timed out becomes a memoized null before the call
      state.run = await withLease(db, lease, async (tx, current) => {
        await resolveExpiredWaits(tx, current.id);
        return current;
      });
      state.steps = null;
      state.openWaits = false;
    }
    const { run } = state;
    const fn = await options.functions.get(run.functionId);
    if (!fn) {
      await failRun(options, lease, {
        name: 'FunctionNotFound',
        message: `function "${run.functionId}" is not registered with the engine`,
      });
      return;
    }
    state.steps ??= await loadSteps(db, run.id);
    const outcome = await callServeEndpoint({
      url: fn.url,
      stepId: 'step',
      runId: run.id,
      event: run.event,
      events: run.events,
      steps: state.steps,
      attempt: run.attempt,
      maxAttempts: run.maxAttempts,
      signingKey: options.signingKey,
      timeoutMs: options.requestTimeoutMs,
      signal,
      ...(options.checkpointing ? { checkpoint: { functionId: run.functionId, leaseToken: lease.token } } : {}),
    });
    // steps checkpointed during the call were recorded by the HTTP endpoint (maybe another
    // engine's), not here: the memoized steps are read again before they are sent or extended
    if (options.checkpointing && outcome.kind === 'ops') state.steps = null;
    const next = await applyOutcome(options, lease, state, fn.url, outcome, signal);
    if (next === 'done') return;
  }
  // fairness: give the worker slot to other runs; this one continues on the next claim
  await withLease(db, lease, (tx) => rescheduleRun(tx, lease.runId, { status: 'queued', runAt: 'now' }));
}

async function applyOutcome(
  options: ExecutorOptions,
  lease: Lease,
  state: ClaimState,
  url: string,
  outcome: CallOutcome,
  signal: AbortSignal,
): Promise<'continue' | 'done'> {
  const { run } = state;
  switch (outcome.kind) {
    case 'completed':
      await completeRunUnderLease(options.db, lease, outcome.output);
      return 'done';
    case 'unreachable':
      options.log('warn', `run ${run.id}: ${String(outcome.error.message)}; retrying in ${options.unreachableDelayMs}ms`);
      await withLease(options.db, lease, (tx) =>
        rescheduleRun(tx, run.id, {
          status: 'queued',
          runAt: new Date(Date.now() + options.unreachableDelayMs),
          lastError: outcome.error,
        }),
      );
      return 'done';
    case 'error':
      await retryOrFail(options, lease, run, outcome.error, outcome.retriable, outcome.retryAfter);
      return 'done';
    case 'ops':
      return applyOps(options, lease, state, url, outcome, signal);
  }
}

async function retryOrFail(
  options: ExecutorOptions,
  lease: Lease,
  run: EngineRunRow,
  error: Record<string, unknown>,
  retriable: boolean,
  retryAfter: Date | null,
): Promise<void> {
  const nextAttempt = run.attempt + 1;
  if (!retriable || nextAttempt >= run.maxAttempts) {
    await failRun(options, lease, error);
    return;
  }
  const runAt = retryAfter ?? new Date(Date.now() + retryDelayMs(nextAttempt, options));
  await withLease(options.db, lease, (tx) =>
    rescheduleRun(tx, run.id, { status: 'queued', runAt, attempt: nextAttempt, lastError: error }),
  );
}

/**
 * Fails the run for good: status, and the "inngest/function.failed" event (real Inngest's payload:
 * function_id, run_id, error, event) that feeds lib/dead-letters and
 * triggers the function's onFailure handler, in one transaction so each happens once.
 */
async function failRun(options: ExecutorOptions, lease: Lease, error: Record<string, unknown>): Promise<void> {
  await withLease(options.db, lease, async (tx, run) => {
    await markRunFailed(tx, run, error);
    options.log('warn', `run ${run.id} of ${run.functionId} failed: ${String(error.message ?? error.error ?? 'error')}`);
    if (run.event.name === FUNCTION_FAILED_EVENT) return; // a failing failure handler must not trigger itself
    await emitFunctionFailed(options, tx, run, error);
  });
}

async function emitFunctionFailed(options: ExecutorOptions, tx: Tx, run: EngineRunRow, error: Record<string, unknown>): Promise<void> {
  const event = {
    name: FUNCTION_FAILED_EVENT,
    id: `failed-${run.id}`,
    ts: Date.now(),
    // a batch run's failure names all its events, so what did not happen can be found
    data: { function_id: run.functionId, run_id: run.id, error, event: run.event, ...(run.events ? { events: run.events } : {}) },
  };
  await fanOut(tx, await options.functions.all(), event);
  await notifyWorkers(tx);
}

/** Runs each planned step in its own request (parallel steps, or steps the SDK did not run inline). */
async function runPlannedSteps(options: ExecutorOptions, state: ClaimState, url: string, ops: StepOp[], signal: AbortSignal) {
  const { run } = state;
  const resolved: StepOp[] = [];
  let retryAfter: Date | null = null;
  for (const op of ops) {
    if (op.op !== 'StepPlanned') {
      resolved.push(op);
      continue;
    }
    const outcome = await callServeEndpoint({
      url,
      stepId: op.id,
      runId: run.id,
      event: run.event,
      events: run.events,
      steps: (state.steps ??= await loadSteps(options.db, run.id)),
      attempt: run.attempt,
      maxAttempts: run.maxAttempts,
      signingKey: options.signingKey,
      timeoutMs: options.requestTimeoutMs,
      signal,
    });
    if (outcome.kind !== 'ops') return { outcome };
    retryAfter ??= outcome.retryAfter;
    resolved.push(...outcome.ops.filter((result) => result.op !== 'StepPlanned'));
  }
  return { ops: resolved, retryAfter };
}

async function applyOps(
  options: ExecutorOptions,
  lease: Lease,
  state: ClaimState,
  url: string,
  first: { ops: StepOp[]; retryAfter: Date | null },
  signal: AbortSignal,
): Promise<'continue' | 'done'> {
  const { run } = state;
  const unsupported = first.ops.find((op) => !SUPPORTED_OPS.has(op.op));
  if (unsupported) {
    await failRun(options, lease, {
      name: 'UnsupportedStep',
      message: `step "${unsupported.displayName ?? unsupported.id}" uses ${unsupported.op}, which the embedded engine does not support`,
    });
    return 'done';
  }
  const planned = await runPlannedSteps(options, state, url, first.ops, signal);
  if ('outcome' in planned) return applyOutcome(options, lease, state, url, planned.outcome!, signal);
  const ops = planned.ops;
  const retryAfter = planned.retryAfter ?? first.retryAfter;

  const complete = ops.find((op) => op.op === 'RunComplete');
  if (complete) {
    // a checkpointing SDK sends the steps it still buffered with the result: memoized by the
    // completing statement (lease-checked, first result wins), so the run's record holds every step
    const finished = ops.filter((op) => op.op === 'StepRun' || op.op === 'Step');
    await completeRunUnderLease(
      options.db,
      lease,
      complete.data ?? null,
      finished.map((op) => ({ stepId: op.id, result: { type: 'data', data: op.data ?? null } })),
    );
    return 'done';
  }
  const [only] = ops;
  if (ops.length === 1 && (only!.op === 'StepRun' || only!.op === 'Step')) {
    // the common case, one step done: lease check and step record in one statement
    const result: StepResult = { type: 'data', data: only!.data ?? null };
    const inserted = await recordStepUnderLease(options.db, lease, only!.id, result);
    if (inserted && state.steps) state.steps.push({ stepId: only!.id, result });
    else state.steps = null;
    state.run = { ...run, attempt: 0 };
    return 'continue';
  }
  const badWait = findUnsupportedWait(ops);
  if (badWait) {
    await failRun(options, lease, { name: 'UnsupportedStep', message: badWait });
    return 'done';
  }

  const decision = await withLease(options.db, lease, async (tx) => {
    let progressed = false;
    let stepError: StepOp | undefined;
    let wakeAt = null as Date | null;
    let waitsForEvent = false;
    let recorded = false;
    const attemptsLeft = run.attempt + 1 < run.maxAttempts;
    for (const op of ops) {
      if (op.op === 'StepRun' || op.op === 'Step') {
        await recordStep(tx, run.id, op.id, { type: 'data', data: op.data ?? null });
        progressed = recorded = true;
      } else if (op.op === 'StepFailed' || (op.op === 'StepError' && !attemptsLeft)) {
        // the step's own retries are spent: memoize the error; the function may still catch it
        await recordStep(tx, run.id, op.id, { type: 'error', error: errorRecord(op.error) });
        progressed = recorded = true;
      } else if (op.op === 'StepError') {
        stepError ??= op;
      } else if (op.op === 'Sleep' || op.op === 'WaitForEvent') {
        const wait = await ensureWait(tx, waitFromOp(run.id, op));
        const done =
          wait.resolvedAt !== null || (wait.expiresAt.getTime() <= Date.now() && (await resolveWait(tx, run.id, op.id, null)));
        if (done) {
          progressed = true;
          continue;
        }
        waitsForEvent ||= op.op === 'WaitForEvent';
        wakeAt = wakeAt !== null && wakeAt < wait.expiresAt ? wakeAt : wait.expiresAt;
      }
    }
    if (stepError) {
      const nextAttempt = run.attempt + 1;
      const runAt = retryAfter ?? new Date(Date.now() + retryDelayMs(nextAttempt, options));
      await rescheduleRun(tx, run.id, { status: 'queued', runAt, attempt: nextAttempt, lastError: errorRecord(stepError.error) });
      return 'done' as const;
    }
    if (progressed) {
      // the steps changed in this transaction: the next call reads them (and any open waits) again
      state.steps = null;
      state.openWaits = ops.some((op) => op.op === 'Sleep' || op.op === 'WaitForEvent');
      if (recorded) state.run = { ...run, attempt: 0 };
      return 'continue' as const;
    }
    if (wakeAt) {
      await rescheduleRun(tx, run.id, { status: waitsForEvent ? 'waiting' : 'sleeping', runAt: wakeAt });
      return 'done' as const;
    }
    return 'empty' as const;
  });
  if (decision === 'empty') {
    await retryOrFail(
      options,
      lease,
      run,
      { name: 'EngineError', message: 'serve endpoint returned no step to run' },
      true,
      null,
    );
    return 'done';
  }
  return decision;
}

function waitFromOp(runId: string, op: StepOp) {
  if (op.op === 'Sleep')
    return { runId, stepId: op.id, kind: 'sleep' as const, expiresAt: sleepEndsAt(String(op.name), new Date()) };
  const timeout = String(op.opts?.timeout ?? '');
  const expression = typeof op.opts?.if === 'string' ? op.opts.if : undefined;
  return {
    runId,
    stepId: op.id,
    kind: 'event' as const,
    eventName: String(op.name),
    expression,
    expiresAt: new Date(Date.now() + parseDurationMs(timeout)),
  };
}

/** A waitForEvent whose `if` the engine cannot evaluate, or an unreadable duration, fails loudly. */
function findUnsupportedWait(ops: StepOp[]): string | null {
  for (const op of ops) {
    try {
      if (op.op === 'Sleep') sleepEndsAt(String(op.name), new Date());
      if (op.op === 'WaitForEvent') {
        parseDurationMs(String(op.opts?.timeout ?? ''));
        if (typeof op.opts?.if === 'string') parseExpression(op.opts.if, ['event', 'async']);
      }
    } catch (err) {
      return `step "${op.displayName ?? op.id}" (${op.op}): ${(err as Error).message}; the embedded engine does not support it`;
    }
  }
  return null;
}
