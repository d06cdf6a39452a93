import { z } from 'zod';
import { parseCron } from './cron';
import { parseDurationMs } from './duration';
import { parseExpression, parseKeyPath, readPath, type ParsedExpression } from './expression';

/** Inngest's default: 3 retries, so 4 attempts in all. */
export const DEFAULT_RETRIES = 3;

const triggerSchema = z.union([
  z.object({ event: z.string().min(1), expression: z.string().optional() }),
  z.object({ cron: z.string().min(1), jitter: z.string().optional() }),
]);

const concurrencySchema = z.object({
  limit: z.number().int(),
  key: z.string().optional(),
  scope: z.enum(['fn', 'env', 'account']).optional(),
});

/** A function config as the SDK sends it on sync (see functionConfigSchema in the SDK). */
export const functionConfigSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().optional(),
    triggers: z.array(triggerSchema),
    steps: z.record(
      z.string(),
      z.object({
        id: z.string(),
        name: z.string(),
        runtime: z.object({ type: z.string(), url: z.string().url() }),
        retries: z.object({ attempts: z.number().int().min(0).optional() }).optional(),
      }),
    ),
    idempotency: z.string().optional(),
    concurrency: z.union([z.number().int(), concurrencySchema, z.array(concurrencySchema)]).optional(),
    priority: z.object({ run: z.string().optional() }).optional(),
    batchEvents: z
      .object({ maxSize: z.number().int().min(1), timeout: z.string().min(1), key: z.string().optional(), if: z.string().optional() })
      .strict()
      .optional(),
  })
  .passthrough();
export type FunctionConfig = z.infer<typeof functionConfigSchema>;

/** Config keys the engine does not implement; a function using one is refused at sync. */
const UNSUPPORTED_FEATURES = [
  'rateLimit',
  'throttle',
  'singleton',
  'cancel',
  'debounce',
  'timeouts',
] as const;

/** Inngest clamps a run's priority factor to +-600 seconds. */
const MAX_PRIORITY_S = 600;

/** What the engine needs at run time, derived once from a validated config. */
export interface CompiledFunction {
  id: string;
  name: string;
  url: string;
  maxAttempts: number;
  eventTriggers: { event: string; expression: ParsedExpression | null }[];
  crons: string[];
  idempotencyKeyPath: string[] | null;
  concurrency: { limit: number; keyPath: string[] | null } | null;
  /**
   * Inngest's priority.run: seconds (up to 600) a new run moves ahead of work queued at the same
   * time; a number or an event path. null for none. Negative factors count as 0.
   */
  priority: { seconds: number } | { path: string[] } | null;
  /**
   * Inngest's batchEvents: matching events wait in engine_batch_items until maxSize of them (per
   * key value) are there or timeoutMs after the first; one run then gets them all. Events for
   * which `if` is false run alone at once, as Inngest does. null for no batching.
   */
  batch: { maxSize: number; timeoutMs: number; keyPath: string[] | null; condition: ParsedExpression | null } | null;
}

/** The priority of a run of `fn` for `event`, in seconds (0 without one; non-numbers count 0). */
export function runPrioritySeconds(fn: CompiledFunction, event: unknown): number {
  if (!fn.priority) return 0;
  const raw = 'seconds' in fn.priority ? fn.priority.seconds : readPath(event, fn.priority.path);
  if (typeof raw !== 'number' || !Number.isFinite(raw)) return 0;
  // a negative factor would need its own sort key (here it would delay an idle queue): counted as 0
  return Math.max(0, Math.min(MAX_PRIORITY_S, Math.trunc(raw)));
}

function compilePriority(config: FunctionConfig): CompiledFunction['priority'] {
  const run = config.priority?.run?.trim();
  if (!run) return null;
  if (/^-?\d+$/.test(run)) {
    if (Number(run) < 0) throw new UnsupportedFunctionError(config.id, 'a negative priority.run');
    return { seconds: Number(run) };
  }
  return { path: compileKey(config.id, 'priority.run', run) };
}

export class UnsupportedFunctionError extends Error {
  constructor(functionId: string, problem: string) {
    super(
      `[paykit engine] function "${functionId}": ${problem}; the embedded engine does not support it. Remove it or run real Inngest.`,
    );
    this.name = 'UnsupportedFunctionError';
  }
}

function compileConcurrency(config: FunctionConfig): CompiledFunction['concurrency'] {
  const raw = config.concurrency;
  if (raw === undefined) return null;
  if (typeof raw === 'number') return raw > 0 ? { limit: raw, keyPath: null } : null;
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length !== 1) throw new UnsupportedFunctionError(config.id, 'more than one concurrency limit');
  const [only] = list as [z.infer<typeof concurrencySchema>];
  if (only.scope && only.scope !== 'fn') throw new UnsupportedFunctionError(config.id, `concurrency scope "${only.scope}"`);
  if (only.limit <= 0) return null;
  return { limit: only.limit, keyPath: only.key ? compileKey(config.id, 'concurrency key', only.key) : null };
}

function compileKey(functionId: string, what: string, source: string): string[] {
  try {
    return parseKeyPath(source);
  } catch (err) {
    throw new UnsupportedFunctionError(functionId, `${what}: ${(err as Error).message}`);
  }
}

/**
 * Options Inngest refuses beside batchEvents (its batching guide, "Incompatible flow control
 * features"; rateLimit and cancel are not supported here at all). A concurrency key is ignored by
 * Inngest when batching: refused here rather than silently meaning something else.
 */
function compileBatch(config: FunctionConfig): CompiledFunction['batch'] {
  const raw = config.batchEvents;
  if (!raw) return null;
  if (config.idempotency) throw new UnsupportedFunctionError(config.id, 'batchEvents with idempotency (Inngest does not allow them together)');
  if (config.priority?.run?.trim())
    throw new UnsupportedFunctionError(config.id, 'batchEvents with priority (Inngest does not allow them together)');
  const concurrency = Array.isArray(config.concurrency) ? config.concurrency : [config.concurrency];
  if (concurrency.some((c) => typeof c === 'object' && c?.key))
    throw new UnsupportedFunctionError(config.id, 'batchEvents with a concurrency key (Inngest ignores the key when batching)');
  let timeoutMs: number;
  try {
    timeoutMs = parseDurationMs(raw.timeout);
  } catch (err) {
    throw new UnsupportedFunctionError(config.id, `batchEvents.timeout: ${(err as Error).message}`);
  }
  if (timeoutMs <= 0) throw new UnsupportedFunctionError(config.id, 'batchEvents.timeout must be more than 0');
  let condition: ParsedExpression | null = null;
  if (raw.if) {
    try {
      condition = parseExpression(raw.if, ['event']);
    } catch (err) {
      throw new UnsupportedFunctionError(config.id, `batchEvents.if: ${(err as Error).message}`);
    }
  }
  return {
    maxSize: raw.maxSize,
    timeoutMs,
    keyPath: raw.key ? compileKey(config.id, 'batchEvents.key', raw.key) : null,
    condition,
  };
}

/** Validates one function config from the SDK; throws UnsupportedFunctionError naming the feature. */
export function compileFunction(raw: unknown): CompiledFunction {
  const parsed = functionConfigSchema.safeParse(raw);
  const id = (raw as { id?: unknown } | null)?.id;
  if (!parsed.success) {
    throw new UnsupportedFunctionError(
      String(id ?? '?'),
      `invalid config (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
    );
  }
  const config = parsed.data;
  for (const feature of UNSUPPORTED_FEATURES) {
    if (config[feature] !== undefined && config[feature] !== null)
      throw new UnsupportedFunctionError(config.id, `option "${feature}"`);
  }
  const step = config.steps.step ?? Object.values(config.steps)[0];
  if (!step) throw new UnsupportedFunctionError(config.id, 'no step runtime URL');
  if (step.runtime.type !== 'http') throw new UnsupportedFunctionError(config.id, `runtime "${step.runtime.type}" (only http)`);

  const eventTriggers: CompiledFunction['eventTriggers'] = [];
  const crons: string[] = [];
  for (const trigger of config.triggers) {
    if ('cron' in trigger) {
      if (trigger.jitter) throw new UnsupportedFunctionError(config.id, 'cron jitter');
      try {
        parseCron(trigger.cron);
      } catch (err) {
        throw new UnsupportedFunctionError(config.id, (err as Error).message);
      }
      crons.push(trigger.cron);
      continue;
    }
    let expression: ParsedExpression | null = null;
    if (trigger.expression) {
      try {
        expression = parseExpression(trigger.expression, ['event']);
      } catch (err) {
        throw new UnsupportedFunctionError(config.id, `trigger "if" on "${trigger.event}": ${(err as Error).message}`);
      }
    }
    eventTriggers.push({ event: trigger.event, expression });
  }

  return {
    id: config.id,
    name: config.name ?? config.id,
    url: step.runtime.url,
    maxAttempts: (step.retries?.attempts ?? DEFAULT_RETRIES) + 1,
    eventTriggers,
    crons,
    idempotencyKeyPath: config.idempotency ? compileKey(config.id, 'idempotency', config.idempotency) : null,
    concurrency: compileConcurrency(config),
    priority: compilePriority(config),
    batch: compileBatch(config),
  };
}
