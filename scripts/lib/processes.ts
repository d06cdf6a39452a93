import type { ChildSpec } from './children';
import type { EnvVars } from './env-vars';
import { binPath } from './paths';

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
  };
}

export function nextServerSpec(ctx: AppContext, base: EnvVars = process.env): ChildSpec {
  return {
    name: 'next',
    command: binPath('next', ctx.root),
    args: [ctx.dev ? 'dev' : 'start', '-p', String(ctx.port)],
    env: appEnv(ctx, base),
    cwd: ctx.root,
  };
}

export function nextBuildSpec(root: string, base: EnvVars = process.env): ChildSpec {
  return { name: 'next build', command: binPath('next', root), args: ['build'], env: nextBaseEnv(base), cwd: root };
}

/**
 * Background processes that run beside Next: the embedded Inngest engine will be added here (it
 * needs the app URL to call the serve route, and the database URL for its state). Each one is
 * supervised like Next: if it exits on its own, everything stops.
 */
export function backgroundProcessSpecs(ctx: AppContext, base: EnvVars = process.env): ChildSpec[] {
  void ctx;
  void base;
  return [];
}

/** Every supervised process for this run, Next first. */
export function appProcessSpecs(ctx: AppContext, base: EnvVars = process.env): ChildSpec[] {
  return [nextServerSpec(ctx, base), ...backgroundProcessSpecs(ctx, base)];
}
