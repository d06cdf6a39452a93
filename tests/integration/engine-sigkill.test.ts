import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { Inngest } from 'inngest';
import { serve } from 'inngest/edge';
import { afterAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { freePort } from '@/tests/helpers/global-setup';
import { waitUntil } from '@/tests/helpers/wait';

const root = path.resolve(import.meta.dirname, '../..');
const children: ChildProcess[] = [];
let server: FetchServer | undefined;

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await server?.close();
});

describe('the engine process killed with SIGKILL mid-run', () => {
  it('resumes the run in a new engine process; a recorded step never runs again', async () => {
    const signingKey = `signkey-test-${randomBytes(32).toString('hex')}`;
    const eventKey = randomBytes(16).toString('hex');
    const enginePort = await freePort();
    const client = new Inngest({ id: 'paykit-kill', isDev: false, baseUrl: `http://127.0.0.1:${enginePort}`, eventKey, signingKey });
    const effects = { charge: 0, notify: 0 };
    let holdFirstNotify = true;
    const fn = client.createFunction({ id: 'settle', triggers: [{ event: 'order.paid' }], retries: 3 }, async ({ step }) => {
      await step.run('charge', () => {
        effects.charge++;
        return 'charged';
      });
      await step.run('notify', async () => {
        // the first time, this step is still running when the engine is killed, and it stays running
        // until the new engine has run it again and finished the run
        if (++effects.notify === 1) while (holdFirstNotify) await new Promise((r) => setTimeout(r, 20));
        return 'notified';
      });
      return 'done';
    });
    const handler = serve({ client, functions: [fn] });
    server = await startFetchServer((request) => handler(request));

    const startEngine = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/engine.ts'], {
        cwd: root,
        env: {
          ...process.env,
          INNGEST_SIGNING_KEY: signingKey,
          INNGEST_EVENT_KEY: eventKey,
          ENGINE_PORT: String(enginePort),
          ENGINE_POLL_MS: '50',
          ENGINE_LEASE_MS: '1500',
          INNGEST_SERVE_URL: `${server!.url}/api/inngest`,
        },
        stdio: 'ignore',
      });
      children.push(child);
      return child;
    };
    const health = async () => (await fetch(`http://127.0.0.1:${enginePort}/health`)).ok;

    const first = startEngine();
    await waitUntil(health);
    await waitUntil(async () => ((await getDb().execute(sql`select 1 from engine_functions where id = 'paykit-kill-settle'`)) as unknown[]).length === 1);
    await client.send({ name: 'order.paid', data: { orderId: 'o1' } });
    await waitUntil(() => effects.notify === 1);

    first.kill('SIGKILL');
    await new Promise<void>((resolve) => first.once('exit', () => resolve()));

    startEngine();
    const status = async () =>
      ((await getDb().execute(sql`select status from engine_runs where function_id = 'paykit-kill-settle'`)) as unknown as { status: string }[])[0]?.status;
    await waitUntil(async () => (await status()) === 'completed');
    expect(effects.charge).toBe(1); // recorded before the kill: never repeated
    expect(effects.notify).toBe(2); // in flight at the kill: run again (which is why steps are idempotent)
    // the call the dead engine made now finishes its step too: its checkpoint names a lease the new
    // engine took over, so it is refused and the finished run stays finished
    holdFirstNotify = false;
    await new Promise((r) => setTimeout(r, 500));
    expect(await status()).toBe('completed');
    expect(effects.notify).toBe(2);
    const runs = (await getDb().execute(sql`select count(*)::int as n from engine_runs where function_id = 'paykit-kill-settle'`)) as unknown as { n: number }[];
    expect(runs[0]?.n).toBe(1);
  });
});
