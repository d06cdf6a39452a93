import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatBanner } from './banner';
import { redactDatabaseUrl } from './database';
import { appEnv, appProcessSpecs, backgroundProcessSpecs, nextBuildSpec, usesEmbeddedEngine, type AppContext } from './processes';
import { waitForHttp } from './wait-for-http';

const ctx: AppContext = {
  root: '/repo',
  dev: false,
  port: 3100,
  appUrl: 'http://localhost:3100',
  databaseUrl: 'postgres://postgres:secret@127.0.0.1:54329/postgres',
  storeSecretKey: 'sk_test_abc',
  authSecret: 'a-long-enough-auth-secret',
  dataDir: '/repo/.data',
  engine: null,
};

const engineKeys = { port: 8299, signingKey: `signkey-local-${'ab'.repeat(32)}`, eventKey: 'event-key-0123456789abcdef' };

describe('app process specs', () => {
  it('runs Next in production mode through scripts/serve.ts on PORT with the app environment', () => {
    const [next, ...rest] = appProcessSpecs(ctx, { PATH: '/bin', NEXT_TELEMETRY_DISABLED: '0' });
    expect(rest).toEqual(backgroundProcessSpecs(ctx));
    expect(next).toMatchObject({
      name: 'next',
      command: '/repo/node_modules/.bin/tsx',
      args: ['scripts/serve.ts', 'start', '-p', '3100'],
      cwd: '/repo',
    });
    expect(next?.env).toMatchObject({
      PATH: '/bin',
      NEXT_TELEMETRY_DISABLED: '1',
      DATABASE_URL: ctx.databaseUrl,
      STORE_SECRET_KEY: 'sk_test_abc',
      AUTH_SECRET: ctx.authSecret,
      NEXTAUTH_SECRET: ctx.authSecret,
      NEXTAUTH_URL: 'http://localhost:3100',
      APP_URL: 'http://localhost:3100',
      PORT: '3100',
    });
  });

  it('runs Next in dev mode (still through scripts/serve.ts) and keeps an explicit NEXTAUTH_URL', () => {
    const [next] = appProcessSpecs({ ...ctx, dev: true }, { NEXTAUTH_URL: 'https://pay.example.com' });
    expect(next?.args).toEqual(['scripts/serve.ts', 'dev', '-p', '3100']);
    expect(next?.env.NEXTAUTH_URL).toBe('https://pay.example.com');
  });

  it('builds with telemetry disabled', () => {
    expect(nextBuildSpec('/repo', appEnv(ctx, {}))).toMatchObject({ args: ['build'], env: { NEXT_TELEMETRY_DISABLED: '1' } });
  });
});

describe('background engine', () => {
  it('runs the embedded engine beside Next, and both get the same keys and the engine URL', () => {
    const [next, engine] = appProcessSpecs({ ...ctx, engine: engineKeys }, { PATH: '/bin' });
    expect(engine).toMatchObject({ name: 'engine', command: '/repo/node_modules/.bin/tsx', args: ['scripts/engine.ts'] });
    expect(engine?.env).toMatchObject({ ENGINE_PORT: '8299', DATABASE_URL: ctx.databaseUrl, INNGEST_SIGNING_KEY: engineKeys.signingKey, APP_URL: 'http://127.0.0.1:3100' });
    expect(next?.env).toMatchObject({
      INNGEST_SIGNING_KEY: engineKeys.signingKey,
      INNGEST_EVENT_KEY: engineKeys.eventKey,
      INNGEST_BASE_URL: 'http://127.0.0.1:8299',
    });
  });

  it('with a functions port: the engine calls the functions server, which runs the relay; the API server does not', () => {
    const [next, functions, engine, ...rest] = appProcessSpecs({ ...ctx, engine: engineKeys, functionsPort: 3201 }, { PATH: '/bin' });
    expect(rest).toEqual([]);
    expect(next?.args).toEqual(['scripts/serve.ts', 'start', '-p', '3100']);
    expect(next?.env).toMatchObject({ OUTBOX_RELAY: 'off', PORT: '3100' });
    expect(next?.env.PAYKIT_SERVER_ROLE).toBeUndefined();
    expect(functions).toMatchObject({ name: 'functions', command: '/repo/node_modules/.bin/tsx', args: ['scripts/serve.ts', 'start', '-p', '3201', '-H', '127.0.0.1'] });
    // the same app environment (keys, database, public URL), its own port, the relay left on
    expect(functions?.env).toMatchObject({
      PORT: '3201',
      PAYKIT_SERVER_ROLE: 'functions',
      APP_URL: 'http://localhost:3100',
      DATABASE_URL: ctx.databaseUrl,
      INNGEST_SIGNING_KEY: engineKeys.signingKey,
      INNGEST_BASE_URL: 'http://127.0.0.1:8299',
    });
    expect(functions?.env.OUTBOX_RELAY).toBeUndefined();
    expect(engine?.name).toBe('engine');
    expect(engine?.env).toMatchObject({ INNGEST_SERVE_URL: 'http://127.0.0.1:3201/api/inngest', APP_URL: 'http://127.0.0.1:3100' });
  });

  it("keeps an operator's INNGEST_SERVE_URL and OUTBOX_RELAY=off, and runs no functions server in dev", () => {
    const specs = appProcessSpecs({ ...ctx, engine: engineKeys, functionsPort: 3201 }, { INNGEST_SERVE_URL: 'http://fn.internal/api/inngest', OUTBOX_RELAY: 'off' });
    expect(specs.map((s) => s.name)).toEqual(['next', 'functions', 'engine']);
    expect(specs[1]?.env.OUTBOX_RELAY).toBe('off');
    expect(specs[2]?.env.INNGEST_SERVE_URL).toBe('http://fn.internal/api/inngest');
    const dev = appProcessSpecs({ ...ctx, dev: true, engine: engineKeys, functionsPort: 3201 }, {});
    expect(dev.map((s) => s.name)).toEqual(['next', 'engine']);
    expect(dev[0]?.env.OUTBOX_RELAY).toBeUndefined();
    expect(dev[1]?.env.INNGEST_SERVE_URL).toBeUndefined();
  });

  it('runs no functions server beside real Inngest (it calls the public /api/inngest)', () => {
    expect(appProcessSpecs({ ...ctx, functionsPort: 3201 }, {}).map((s) => s.name)).toEqual(['next']);
  });

  it('starts no engine and passes no keys when real Inngest is configured', () => {
    expect(appProcessSpecs(ctx, {})).toHaveLength(1);
    expect(appProcessSpecs(ctx, {})[0]?.env.INNGEST_BASE_URL).toBeUndefined();
  });

  it.each([
    [{}, true],
    [{ INNGEST_DEV: '1' }, false],
    [{ INNGEST_DEV: '0' }, true],
    [{ INNGEST_EVENT_KEY: 'k', INNGEST_SIGNING_KEY: 's' }, false],
    [{ INNGEST_BASE_URL: 'http://inngest.internal:8288' }, false],
  ])('with %j the embedded engine is used: %s', (env, embedded) => {
    expect(usesEmbeddedEngine(env)).toBe(embedded);
  });
});

describe('banner', () => {
  it('shows where to go, how to log in, and the database without its password', () => {
    const text = formatBanner({
      appUrl: 'http://localhost:3100',
      dev: false,
      email: 'demo@paykit.local',
      password: 'pw-123',
      secretKey: 'sk_test_abc',
      dataDir: '/repo/.data',
      database: { kind: 'embedded', url: ctx.databaseUrl },
    });
    for (const part of [
      'http://localhost:3100/store',
      'demo@paykit.local',
      'pw-123',
      'sk_test_abc',
      '/repo/.data',
      'embedded Postgres',
    ]) {
      expect(text).toContain(part);
    }
    expect(text).not.toContain('secret@');
    expect(redactDatabaseUrl(ctx.databaseUrl)).toBe('postgres://postgres:***@127.0.0.1:54329/postgres');
    expect(redactDatabaseUrl('postgres://127.0.0.1/db')).toBe('postgres://127.0.0.1/db');
  });
});

describe('waitForHttp', () => {
  it('resolves true once the server answers, whatever the status', async () => {
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await waitForHttp(`http://127.0.0.1:${port}/`, { intervalMs: 20 })).toBe(true);
    } finally {
      server.close();
    }
  });

  it('resolves false when aborted before anything answers', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect(await waitForHttp('http://127.0.0.1:1/', { intervalMs: 20, signal: controller.signal })).toBe(false);
  });
});
