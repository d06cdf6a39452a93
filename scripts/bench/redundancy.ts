import { randomBytes } from 'node:crypto';
import { resetEnvCache } from '@/lib/env';
import { generateInstallSecrets } from '@/lib/env/secrets';
import { createMerchant } from '@/lib/merchants';
import { payUnderKill, postJson, settlePayments, startCluster, type PaymentOutcome } from '@/tests/helpers/cluster';
import { startFetchServer } from '@/tests/helpers/fetch-server';
import { benchEnv } from './env';
import { formatMs, percentileUs } from './stats';
import type { Benchmark, BenchReport } from './types';

const STRANDED_AFTER_MS = 2_000;

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/**
 * Two of everything, the long version of tests/integration/redundancy.test.ts: two app processes
 * and two engine processes on one Postgres behind round-robin balancers, create + confirm with
 * fresh cards from `BENCH_REDUNDANCY_LOOPS` loops for `BENCH_REDUNDANCY_MS`, one app and one
 * engine SIGKILLed a third of the way in. Prints the payments before and after the kill and what
 * every payment became.
 */
export const redundancyBenchmark: Benchmark = {
  name: 'redundancy',
  description: 'two apps and two engines on one Postgres, one of each SIGKILLed under load',
  async run({ databaseUrl, log }): Promise<BenchReport> {
    const { BENCH_REDUNDANCY_MS: durationMs, BENCH_REDUNDANCY_LOOPS: loops } = benchEnv();
    const killAtMs = Math.round(durationMs / 3);
    // like `npm start`: install secrets of its own (the processes share them through the environment)
    const settings: Record<string, string> = {
      ...generateInstallSecrets(),
      DATABASE_URL: databaseUrl,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    };
    const saved = Object.fromEntries(Object.keys(settings).map((k) => [k, process.env[k]]));
    Object.assign(process.env, settings);
    resetEnvCache();
    const cluster = await startCluster({ apps: 2, engines: 2, strandedAfterMs: STRANDED_AFTER_MS });
    const received: string[] = [];
    const receiver = await startFetchServer(async (req) => {
      const event = (await req.json()) as { id: string; type: string };
      if (event.type === 'payment_intent.succeeded') received.push(event.id);
      return new Response('ok');
    });
    try {
      const m = await createMerchant({ name: 'Redundancy Bench', email: `bench-${randomBytes(4).toString('hex')}@example.test` });
      const endpoint = await postJson(`${cluster.appUrl}/api/v1/webhook_endpoints`, m.secretKey, {
        url: `${receiver.url}/hooks`,
        enabled_events: ['payment_intent.succeeded'],
      });
      if (endpoint.status !== 200) throw new Error(`webhook endpoint not created: HTTP ${endpoint.status}`);
      log(`redundancy: ${loops} loops for ${durationMs / 1000} s, SIGKILL of one app and one engine at ${killAtMs / 1000} s`);
      const { outcomes, errors, confirmErrors } = await payUnderKill(cluster, m.secretKey, m.merchant.id, { loops, durationMs, killAtMs });
      const ids = outcomes.flatMap((o) => (o.id ? [o.id] : []));
      if (ids.length === 0) throw new Error(`no payment could be created: ${errors.slice(0, 3).join('; ')}`);
      const settled = await settlePayments(ids, received, STRANDED_AFTER_MS);
      const timed = outcomes.filter((o) => !o.warmup);
      const row = (label: string, list: PaymentOutcome[], seconds: number) => {
        const ok = list.filter((o) => o.confirmStatus === 200).length;
        const latencies = list.flatMap((o) => (o.confirmStatus === 200 && o.confirmMs !== null ? [o.confirmMs * 1000] : []));
        return [
          label,
          list.length,
          (ok / seconds).toFixed(1),
          ok,
          list.filter((o) => o.id === null).length,
          list.filter((o) => o.confirmStatus !== null && o.confirmStatus !== 200).length,
          list.filter((o) => o.id !== null && o.confirmStatus === null).length,
          latencies.length ? formatMs(percentileUs(latencies, 50)) : '-',
          latencies.length ? formatMs(percentileUs(latencies, 99)) : '-',
        ];
      };
      const before = timed.filter((o) => !o.afterKill);
      const after = timed.filter((o) => o.afterKill);
      const succeededAfterKill = after.filter((o) => o.confirmStatus === 200).length;
      const confirmedButLost = outcomes.filter((o) => o.confirmStatus === 200 && !settled.succeeded.includes(o.id!)).length;
      const cutOffAnswered200 = settled.cutOff.filter((id) => outcomes.find((o) => o.id === id)?.confirmStatus === 200).length;
      const checks = [
        [`every confirm answered 200 is a succeeded payment`, confirmedButLost === 0, `${confirmedButLost} not`],
        [`every succeeded payment posted once and delivered once`, settled.notOnce.length === 0, `${settled.notOnce.length} not`],
        [
          `the receiver got each succeeded payment's webhook`,
          settled.webhooksReceived === settled.succeeded.length,
          `${settled.webhooksReceived} of ${settled.succeeded.length}`,
        ],
        [`the survivors carried the load`, succeededAfterKill > 0, `${succeededAfterKill} succeeded after the kill`],
        [`no attempt left open was answered 200`, cutOffAnswered200 === 0, `${settled.cutOff.length} left open, resolved by the sweep`],
      ] as const;
      return {
        title: 'Two apps and two engines on one Postgres, one of each SIGKILLed under load',
        columns: ['phase', 'payments', 'succeeded/s', 'succeeded', 'create failed', 'confirm refused or failed', 'confirm not answered (cut off)', 'confirm p50 ms', 'confirm p99 ms'],
        rows: [
          row('before the kill', before, killAtMs / 1000),
          row('after the kill', after, (durationMs - killAtMs) / 1000),
        ],
        notes: [
          `${loops} loops of tokenize + create + confirm with fresh cards; app processes are tests/helpers/app-process-child.ts (the routes run by tsx, not a production build), engines scripts/engine.ts.`,
          `Every payment ended (none processing or requires_action) and every posting and delivery was done ${(settled.settleMs / 1000).toFixed(1)} s after the load.`,
          `Confirm answers: ${[...countBy(timed.flatMap((o) => (o.id ? [String(o.confirmStatus ?? 'none')] : [])))].map(([k, n]) => `${k} x${n}`).join(', ')}; after settling, ${settled.succeeded.length} of ${ids.length} payments (warm-up included) succeeded.`,
          ...(confirmErrors.length
            ? [`${confirmErrors.length} confirm(s) got no answer: ${[...countBy(confirmErrors)].map(([k, n]) => `${k} x${n}`).join('; ')}`]
            : []),
          ...(errors.length
            ? [`${errors.length} payment(s) could not be started: ${[...countBy(errors.map((e) => e.slice(0, 160)))].map(([k, n]) => `${k} x${n}`).join('; ')}`]
            : []),
          ...checks.map(([what, ok, detail]) => `${ok ? 'ok' : 'FAILED'}: ${what} (${detail}).`),
        ],
        ok: checks.every(([, ok]) => ok),
      };
    } finally {
      await cluster.stop();
      await receiver.close().catch(() => undefined);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      resetEnvCache();
    }
  },
};
