import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { deadLetters, pspInbox } from '@/db/schema';
import { inngest } from '@/inngest/client';
import { deadLetterReplayer } from '@/inngest/dead-letter-replay';
import { getPspHealth, listAllDeadLetters, listMerchantSummaries, replayDeadLetterAsOperator } from '@/lib/admin/console';
import { createOperator, listOperatorAudit } from '@/lib/admin/operators';
import { recordDeadLetter } from '@/lib/dead-letters';
import { createTestPaymentIntent, createPaidPayment } from '../helpers/factories';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

function failedRun(merchantId: string | null) {
  const runId = `run_${randomUUID()}`;
  return {
    functionId: 'paykit-ledger-post-capture',
    runId,
    event: { id: `evt_${randomUUID()}`, name: 'payment_intent.succeeded', data: merchantId ? { merchantId, eventId: `evt_${randomUUID()}` } : {} },
    error: { message: 'psp down' },
  };
}

describe('dead letters across merchants', () => {
  it('lists every merchant’s and the platform’s dead letters; an operator replays any of them, audited', async () => {
    const a = await createTestMerchant('DL A');
    const b = await createTestMerchant('DL B');
    const ids: string[] = [];
    for (const m of [a.merchant.id, b.merchant.id, null]) ids.push((await recordDeadLetter(getDb(), failedRun(m))).id);
    const open = await listAllDeadLetters({ openOnly: true, limit: 100 });
    expect(open.rows.map((d) => d.id)).toEqual(expect.arrayContaining(ids));
    expect(open.rows.find((d) => d.id === ids[2])?.merchantId).toBeNull();

    // real Inngest's event API, faked over HTTP: the replay re-sends the failed event
    const received: { id: string; name: string }[] = [];
    const fakeInngest: FetchServer = await startFetchServer(async (request) => {
      const events = (await request.json()) as { id: string; name: string }[];
      received.push(...events);
      return Response.json({ ids: events.map((e) => e.id), status: 200 });
    });
    try {
      inngest.setEnvVars({ INNGEST_BASE_URL: fakeInngest.url, INNGEST_EVENT_KEY: `key-${randomUUID()}` });
      const { operator } = await createOperator({ email: `ops-${randomUUID()}@ops.test` });
      const actor = { operator, ip: '192.0.2.7' };
      const result = await replayDeadLetterAsOperator(actor, ids[1], deadLetterReplayer('inngest'));
      expect(result.letter.replayedAt).toBeInstanceOf(Date);
      expect(received).toEqual([expect.objectContaining({ id: expect.stringMatching(new RegExp(`^replay-${ids[1]}-`)), name: 'payment_intent.succeeded' })]);
      const platform = await replayDeadLetterAsOperator(actor, ids[2], deadLetterReplayer('inngest'));
      expect(platform.letter.replayedAt).toBeInstanceOf(Date);

      const audit = (await listOperatorAudit(200)).filter((e) => e.operatorId === operator.id && e.action === 'dead_letter.replay');
      expect(audit.map((e) => [e.targetId, e.merchantId, e.ip])).toEqual(
        expect.arrayContaining([
          [ids[1], b.merchant.id, '192.0.2.7'],
          [ids[2], null, '192.0.2.7'],
        ]),
      );
      const stillOpen = (await listAllDeadLetters({ openOnly: true, limit: 100 })).rows.map((d) => d.id);
      expect(stillOpen).toContain(ids[0]);
      expect(stillOpen).not.toContain(ids[1]);
      expect((await listAllDeadLetters({ limit: 100 })).rows.map((d) => d.id)).toContain(ids[1]);

      await expect(replayDeadLetterAsOperator(actor, 'dl_doesnotexist000', deadLetterReplayer('inngest'))).rejects.toMatchObject({ code: 'resource_missing' });
      await expect(replayDeadLetterAsOperator(actor, 'pi_123', deadLetterReplayer('inngest'))).rejects.toMatchObject({ code: 'parameter_invalid' });
      expect(received).toHaveLength(2);
    } finally {
      await fakeInngest.close();
    }
    const [untouched] = await getDb().select().from(deadLetters).where(eq(deadLetters.id, ids[0]!));
    expect(untouched?.replayedAt).toBeNull();

    const summaries = await listMerchantSummaries();
    expect(summaries.find((s) => s.id === a.merchant.id)).toMatchObject({ name: 'DL A', users: 1, openDeadLetters: 1 });
    expect(summaries.find((s) => s.id === b.merchant.id)).toMatchObject({ openDeadLetters: 0 });
  });
});

describe('PSP health across merchants', () => {
  it('counts attempts and outcomes per PSP, names the last failure and the callback backlog', async () => {
    const before = (await getPspHealth()).find((h) => h.psp === 'sandbox_card');
    const m1 = await createTestMerchant('Health 1');
    const m2 = await createTestMerchant('Health 2');
    await createPaidPayment(apiClient(app, m1.secretKey));
    const api2 = apiClient(app, m2.secretKey);
    const pi = await createTestPaymentIntent(api2);
    const declined = await api2.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_chargeDeclinedInsufficientFunds' });
    expect(declined.status).toBe(402);
    const inboxId = `inb_${randomUUID().replaceAll('-', '')}`;
    await getDb().insert(pspInbox).values({ id: inboxId, psp: 'sandbox_card', pspEventId: randomUUID(), headers: {}, rawBody: '{}', processError: 'boom' });

    const after = (await getPspHealth()).find((h) => h.psp === 'sandbox_card');
    expect(after).toBeDefined();
    expect(after!.attempts - (before?.attempts ?? 0)).toBe(2);
    expect(after!.succeeded - (before?.succeeded ?? 0)).toBe(1);
    expect(after!.failed - (before?.failed ?? 0)).toBe(1);
    expect(after!.successRate).toBe(after!.succeeded / (after!.succeeded + after!.failed));
    expect(after!.lastError).toMatchObject({ code: 'insufficient_funds' });
    // the payments' own callbacks wait too (no engine runs in this test): ours is one of the backlog
    expect(after!.inboxBacklog - (before?.inboxBacklog ?? 0)).toBeGreaterThanOrEqual(1);
    expect(after!.inboxErrors - (before?.inboxErrors ?? 0)).toBe(1);
    expect(after!.oldestUnprocessedAt).toBeInstanceOf(Date);
    await getDb().update(pspInbox).set({ processedAt: new Date(), outcome: 'applied' }).where(eq(pspInbox.id, inboxId));
    const processed = (await getPspHealth()).find((h) => h.psp === 'sandbox_card');
    expect(after!.inboxBacklog - processed!.inboxBacklog).toBe(1);
    expect(after!.inboxErrors - processed!.inboxErrors).toBe(1);
  });
});
