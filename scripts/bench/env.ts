import { z } from 'zod';
import { parseEnvWith } from '@/lib/env';

/** The benchmarks' own knobs, validated once: a typo fails the run instead of benchmarking NaN events. */
const benchEnvSchema = z.object({
  /** How long each ledger scenario runs. */
  BENCH_DURATION_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  /** Run only the ledger scenarios whose name contains this (e.g. "hot") while tuning. */
  BENCH_LEDGER_SCENARIO: z.string().optional(),
  /** Engine benchmark: events sent at once, events sent paced, and the pace (events per second). */
  BENCH_ENGINE_BURST: z.coerce.number().int().min(1).max(100_000).default(200),
  BENCH_ENGINE_PACED: z.coerce.number().int().min(1).max(100_000).default(40),
  BENCH_ENGINE_RATE: z.coerce.number().positive().max(10_000).default(2),
  /**
   * Engine benchmark: Inngest's async checkpointing, on (the app's setting) or off (one step per
   * serve call, the engine before it served the protocol), and the steps the SDK buffers per
   * checkpoint (default: the app's, inngest/client.ts).
   */
  BENCH_ENGINE_CHECKPOINTING: z.enum(['on', 'off']).default('on'),
  BENCH_ENGINE_BUFFERED_STEPS: z.coerce.number().int().min(1).max(100).optional(),
  /** Engine and e2e benchmarks: also print the N statements run most often (engine: in the burst, per event; e2e: per scenario, per payment; 0: none). */
  BENCH_SQL_TOP: z.coerce.number().int().min(0).max(500).default(0),
  /** e2e benchmark: length of each closed-loop scenario, of the sustained one, and its pace (payments/s). */
  BENCH_E2E_DURATION_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  BENCH_E2E_SUSTAINED_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  BENCH_E2E_SUSTAINED_RATE: z.coerce.number().positive().max(10_000).default(100),
  /**
   * e2e benchmark: send an Idempotency-Key with every create and confirm, as the official Stripe
   * SDK does (on: the idempotent path a merchant's calls take), or none (off: the bench before).
   */
  BENCH_E2E_IDEMPOTENCY_KEYS: z.enum(['on', 'off']).default('on'),
  /** Redundancy benchmark: length of the load (one app and one engine die a third in) and its loops. */
  BENCH_REDUNDANCY_MS: z.coerce.number().int().min(3_000).max(3_600_000).default(60_000),
  BENCH_REDUNDANCY_LOOPS: z.coerce.number().int().min(1).max(200).default(10),
});

export type BenchEnv = z.output<typeof benchEnvSchema>;

let cached: BenchEnv | undefined;

export function benchEnv(): BenchEnv {
  cached ??= parseEnvWith(benchEnvSchema, process.env);
  return cached;
}
