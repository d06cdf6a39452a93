/**
 * The embedded background engine as its own process (npm start launches it beside Next):
 * event API + /fn/register + /health on ENGINE_PORT, syncs the app's functions, then runs due
 * work from Postgres until SIGINT/SIGTERM.
 *
 * Env: DATABASE_URL, INNGEST_SIGNING_KEY, INNGEST_EVENT_KEY (required); ENGINE_PORT (8288),
 * ENGINE_HOST (127.0.0.1), APP_URL (http://localhost:$PORT) or INNGEST_SERVE_URL
 * (default APP_URL + /api/inngest), ENGINE_POLL_MS (200), ENGINE_CONCURRENCY (10), ENGINE_LEASE_MS (30000),
 * ENGINE_CHECKPOINTING (on: the SDK runs several steps per call and checkpoints each to this engine).
 */
import { z } from 'zod';
import { createEngine } from '@/inngest/engine';
import { EnvError, parseEnvWith } from '@/lib/env';
import { snapshotProcessEnv } from '@/lib/env/process-env';
import { INNGEST_SERVE_ROUTE } from '@/lib/env/server-role';

const engineEnvSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  INNGEST_SIGNING_KEY: z.string().regex(/^signkey-\w+-[0-9a-f]+$/i, 'must look like signkey-<env>-<hex>'),
  INNGEST_EVENT_KEY: z.string().min(8),
  ENGINE_PORT: z.coerce.number().int().min(0).max(65535).default(8288),
  ENGINE_HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().default(3000),
  APP_URL: z.string().url().optional(),
  INNGEST_SERVE_URL: z.string().url().optional(),
  ENGINE_POLL_MS: z.coerce.number().int().min(10).default(200),
  ENGINE_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(10),
  /** How long a claimed run stays claimed without a heartbeat (a dead engine's runs come back after it). */
  ENGINE_LEASE_MS: z.coerce.number().int().min(500).default(30_000),
  /** Inngest's async checkpointing (several steps per call); off: one step per call. */
  ENGINE_CHECKPOINTING: z.enum(['on', 'off']).default('on'),
});

function readEnv() {
  try {
    return parseEnvWith(engineEnvSchema, process.env);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    console.error(`[engine] ${err.message}`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  // the Inngest SDK lists the environment on every send and request (lib/env/process-env.ts)
  snapshotProcessEnv();
  const env = readEnv();
  const appUrl = (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '');
  const serveUrl = env.INNGEST_SERVE_URL ?? `${appUrl}${INNGEST_SERVE_ROUTE}`;
  const engine = createEngine({
    databaseUrl: env.DATABASE_URL,
    serveUrl,
    signingKey: env.INNGEST_SIGNING_KEY,
    eventKey: env.INNGEST_EVENT_KEY,
    pollMs: env.ENGINE_POLL_MS,
    maxConcurrentRuns: env.ENGINE_CONCURRENCY,
    leaseMs: env.ENGINE_LEASE_MS,
    checkpointing: env.ENGINE_CHECKPOINTING === 'on',
    http: { port: env.ENGINE_PORT, host: env.ENGINE_HOST },
    // the app may take a while to boot (next start after a build); keep trying
    syncTimeoutMs: 10 * 60_000,
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[engine] ${signal}: finishing running calls...`);
    engine.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('[engine] stop failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  await engine.start();
  console.log(`[engine] listening on ${engine.url}; running functions of ${serveUrl}`);
}

main().catch((err: unknown) => {
  console.error('[engine] failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
