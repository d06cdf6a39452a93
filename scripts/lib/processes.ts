import type { ChildSpec } from './children';
import type { EnvVars } from './env-vars';
import { binPath } from './paths';
import { EMBEDDED_ENGINE_MARKER, engineMode } from '@/inngest/mode';
import { FUNCTIONS_ROLE, INNGEST_SERVE_ROUTE, SERVER_ROLE_VAR } from '@/lib/env/server-role';

/** Everything the app's processes need to know, decided once by scripts/start.ts. */
export interface AppContext {
  root: string;
  dev: boolean;
  port: number;
  appUrl: string;
  databaseUrl: string;
  storeSecretKey: string;
  authSecret: string;
  dataDir: string;
  /** The embedded engine's settings; null when the app talks to a real Inngest server. */
  engine: { port: number; signingKey: string; eventKey: string } | null;
  /**
   * Port of the functions server on 127.0.0.1: a second production Next server that the embedded
   * engine calls and that runs the outbox relay, so background work does not queue behind the
   * API's requests in one event loop. null: the one server does everything (dev, real Inngest,
   * FUNCTIONS_SERVER=off).
   */
  functionsPort?: number | null;
}

/**
 * Set on the functions server's environment: instrumentation.ts skips the API's start-up chores
 * there, and proxy.ts answers only the engine's route.
 */
export const FUNCTIONS_SERVER_ROLE: Record<string, string> = { [SERVER_ROLE_VAR]: FUNCTIONS_ROLE };

/**
 * Real Inngest (an `inngest dev` server, or Cloud / self-hosted with its keys) when the
 * environment names one; otherwise the embedded engine (decided in inngest/mode.ts).
 */
export function usesEmbeddedEngine(base: EnvVars): boolean {
  return engineMode(base) === 'embedded';
}

function engineUrl(ctx: AppContext): string {
  return `http://127.0.0.1:${ctx.engine?.port ?? 8288}`;
}

/** Next's telemetry would try to reach the internet; we run offline. */
export function nextBaseEnv(base: EnvVars): EnvVars {
  return { ...base, NEXT_TELEMETRY_DISABLED: '1' };
}

/** The environment every app process gets: the parent's, plus what start decided. */
export function appEnv(ctx: AppContext, base: EnvVars = process.env): EnvVars {
  return {
    ...nextBaseEnv(base),
    DATABASE_URL: ctx.databaseUrl,
    STORE_SECRET_KEY: ctx.storeSecretKey,
    AUTH_SECRET: ctx.authSecret,
    NEXTAUTH_SECRET: ctx.authSecret,
    NEXTAUTH_URL: base.NEXTAUTH_URL || ctx.appUrl,
    APP_URL: ctx.appUrl,
    PORT: String(ctx.port),
    PAYKIT_DATA_DIR: ctx.dataDir,
    ...(ctx.engine
      ? {
          INNGEST_SIGNING_KEY: ctx.engine.signingKey,
          INNGEST_EVENT_KEY: ctx.engine.eventKey,
          INNGEST_BASE_URL: engineUrl(ctx),
          ...EMBEDDED_ENGINE_MARKER,
        }
      : {}),
  };
}

/**
 * Next runs inside scripts/serve.ts rather than as `next start` / `next dev`: that server puts the
 * socket peer's address on every request, which is how the app knows the client IP.
 */
export function nextServerSpec(ctx: AppContext, base: EnvVars = process.env): ChildSpec {
  const functions = functionsPortOf(ctx);
  return {
    name: 'next',
    command: binPath('tsx', ctx.root),
    args: ['scripts/serve.ts', ctx.dev ? 'dev' : 'start', '-p', String(ctx.port)],
    // with a functions server, the relay runs there
    env: functions === null ? appEnv(ctx, base) : { ...appEnv(ctx, base), OUTBOX_RELAY: 'off' },
    cwd: ctx.root,
  };
}

/**
 * The functions server: the same production build, on 127.0.0.1 only (nothing outside the machine
 * calls it), serving the embedded engine's calls to /api/inngest and running the outbox relay.
 * Its own process, so the OS shares the cores between it and the API server: a webhook delivery
 * or a posting does not wait behind every request the API is busy with, and the two use two cores.
 */
export function functionsServerSpec(ctx: AppContext, base: EnvVars = process.env): ChildSpec[] {
  const port = functionsPortOf(ctx);
  if (port === null) return [];
  return [
    {
      name: 'functions',
      command: binPath('tsx', ctx.root),
      args: ['scripts/serve.ts', 'start', '-p', String(port), '-H', '127.0.0.1'],
      env: { ...appEnv(ctx, base), PORT: String(port), ...FUNCTIONS_SERVER_ROLE },
      cwd: ctx.root,
    },
  ];
}

/** The functions server's port, null when there is none (only beside the embedded engine, never in dev). */
function functionsPortOf(ctx: AppContext): number | null {
  return ctx.engine && !ctx.dev && ctx.functionsPort ? ctx.functionsPort : null;
}

export function nextBuildSpec(root: string, base: EnvVars = process.env): ChildSpec {
  return { name: 'next build', command: binPath('next', root), args: ['build'], env: nextBaseEnv(base), cwd: root };
}

/**
 * Background processes that run beside Next: the embedded Inngest engine (it calls the app's
 * serve route and keeps its state in the same database). Each one is supervised like Next: if
 * it exits on its own, everything stops.
 */
export function backgroundProcessSpecs(ctx: AppContext, base: EnvVars = process.env): ChildSpec[] {
  if (!ctx.engine) return [];
  const functions = functionsPortOf(ctx);
  // an operator's INNGEST_SERVE_URL wins; otherwise the functions server, or the app itself
  const serveUrl = base.INNGEST_SERVE_URL || (functions === null ? undefined : `http://127.0.0.1:${functions}${INNGEST_SERVE_ROUTE}`);
  return [
    ...functionsServerSpec(ctx, base),
    {
      name: 'engine',
      command: binPath('tsx', ctx.root),
      args: ['scripts/engine.ts'],
      env: {
        ...appEnv(ctx, base),
        ENGINE_PORT: String(ctx.engine.port),
        APP_URL: `http://127.0.0.1:${ctx.port}`,
        ...(serveUrl ? { INNGEST_SERVE_URL: serveUrl } : {}),
      },
      cwd: ctx.root,
    },
  ];
}

/** Every supervised process for this run, Next first. */
export function appProcessSpecs(ctx: AppContext, base: EnvVars = process.env): ChildSpec[] {
  return [nextServerSpec(ctx, base), ...backgroundProcessSpecs(ctx, base)];
}
