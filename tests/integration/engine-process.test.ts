import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { Inngest } from 'inngest';
import { serve } from 'inngest/edge';
import { getDb } from '@/db/client';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { freePort } from '@/tests/helpers/global-setup';
import { waitUntil } from '@/tests/helpers/wait';

const root = path.resolve(import.meta.dirname, '../..');
let child: ChildProcess | undefined;
let server: FetchServer | undefined;

afterAll(async () => {
  child?.kill('SIGKILL');
  await server?.close();
});

describe('scripts/engine.ts (the engine process)', () => {
  it('syncs the app, accepts events, runs functions, re-registers out of band, and stops on SIGTERM', async () => {
    const db = getDb();
    const signingKey = `signkey-test-${randomBytes(32).toString('hex')}`;
    const eventKey = randomBytes(16).toString('hex');
    const enginePort = await freePort();
    const engineUrl = `http://127.0.0.1:${enginePort}`;
    const client = new Inngest({ id: 'paykit-proc', isDev: false, baseUrl: engineUrl, eventKey, signingKey });
    const ran: unknown[] = [];
    const fn = client.createFunction({ id: 'hello', triggers: [{ event: 'hello' }] }, async ({ event, step }) => {
      await step.run('record', () => ran.push(event.data));
      return 'hi';
    });
    const handler = serve({ client, functions: [fn] });
    server = await startFetchServer((request) => handler(request));

    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/engine.ts'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: process.env.DATABASE_URL,
        INNGEST_SIGNING_KEY: signingKey,
        INNGEST_EVENT_KEY: eventKey,
        ENGINE_PORT: String(enginePort),
        INNGEST_SERVE_URL: `${server.url}/api/inngest`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));

    await waitUntil(async () => (await fetch(`${engineUrl}/health`)).ok).catch((err: unknown) => {
      throw new Error(`engine did not come up: ${String(err)}\n${output}`);
    });
    await waitUntil(async () => {
      const rows = (await db.execute(sql`select id from engine_functions where id = 'paykit-proc-hello'`)) as unknown[];
      return rows.length === 1;
    });

    await client.send({ name: 'hello', data: { who: 'world' } });
    await waitUntil(async () => ran.length === 1);
    await waitUntil(async () => {
      const rows = (await db.execute(sql`select status from engine_runs where function_id = 'paykit-proc-hello'`)) as unknown as {
        status: string;
      }[];
      return rows[0]?.status === 'completed';
    });

    // an out-of-band sync (a plain PUT to the serve route) registers through the engine's /fn/register
    await db.execute(sql`delete from engine_functions where id = 'paykit-proc-hello'`);
    const put = await fetch(`${server.url}/api/inngest`, { method: 'PUT' });
    expect(put.status).toBe(200);
    const rows = (await db.execute(sql`select url from engine_functions where id = 'paykit-proc-hello'`)) as unknown as {
      url: string;
    }[];
    expect(rows[0]?.url).toContain('fnId=paykit-proc-hello');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
