import { afterAll, describe, expect, it } from 'vitest';
import { createTestMerchant } from '@/tests/helpers/test-app';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { payUnderKill, postJson, settlePayments, startCluster, type Cluster } from '@/tests/helpers/cluster';

/**
 * Two of everything: two app processes and two engine processes on one Postgres, behind a
 * round-robin balancer each (tests/helpers/cluster.ts). Under load, one app and one engine are
 * SIGKILLed; the survivors must carry on, and every payment completes or fails cleanly, every
 * webhook is recorded delivered once per endpoint and every capture is posted once. The long
 * version is a bench scenario: `npm run bench -- redundancy`.
 */

const STRANDED_AFTER_MS = 2_000;
let cluster: Cluster | undefined;
let receiver: FetchServer | undefined;

afterAll(async () => {
  await cluster?.stop();
  await receiver?.close().catch(() => undefined);
});

describe('two app instances and two engines on one Postgres', () => {
  it('survive SIGKILL of one app and one engine under load: no payment lost, webhooks and postings once', async () => {
    cluster = await startCluster({ apps: 2, engines: 2, strandedAfterMs: STRANDED_AFTER_MS });
    const phase = (name: string) => console.log(`[redundancy] ${new Date().toISOString()} ${name}`);
    phase('two apps and two engines up');
    const received: string[] = [];
    receiver = await startFetchServer(async (req) => {
      const event = (await req.json()) as { id: string; type: string };
      if (event.type === 'payment_intent.succeeded') received.push(event.id);
      return new Response('ok');
    });
    const m = await createTestMerchant();
    const endpoint = await postJson(`${cluster.appUrl}/api/v1/webhook_endpoints`, m.secretKey, {
      url: `${receiver.url}/hooks`,
      enabled_events: ['payment_intent.succeeded'],
    });
    expect(endpoint.status).toBe(200);

    // load: 6 loops of create + confirm with fresh cards for 8 s; one app and one engine die at 3 s
    const { outcomes } = await payUnderKill(cluster, m.secretKey, m.merchant.id, { loops: 6, durationMs: 8_000, killAtMs: 3_000 });
    expect(cluster.apps[0]!.signalCode).toBe('SIGKILL');
    expect(cluster.engines[0]!.signalCode).toBe('SIGKILL');
    phase(`load done: ${outcomes.length} payments`);
    const ids = outcomes.flatMap((o) => (o.id ? [o.id] : []));
    expect(ids.length).toBeGreaterThanOrEqual(6);
    // the survivors carry the load: payments started after the kill succeed
    expect(outcomes.filter((o) => o.afterKill && o.confirmStatus === 200).length).toBeGreaterThan(0);

    // every payment ends succeeded or not charged, none stuck; a confirm whose app died between
    // recording its attempt and the PSP's answer is resolved by the stranded-attempt sweep
    const settled = await settlePayments(ids, received, STRANDED_AFTER_MS);
    if (settled.cutOff.length) phase(`attempts left open by the killed app: ${settled.cutOff.join(', ')}`);
    for (const id of settled.cutOff) expect(outcomes.find((o) => o.id === id)?.confirmStatus).not.toBe(200);
    for (const o of outcomes) if (o.confirmStatus === 200) expect(settled.succeeded).toContain(o.id);
    phase('postings and deliveries done');
    // every succeeded payment: one succeeded event, one capture posting, one delivered webhook per endpoint
    expect(settled.notOnce).toEqual([]);
    expect(settled.webhooksReceived).toBe(settled.succeeded.length);
  }, 120_000);
});
