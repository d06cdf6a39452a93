import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { outboxEvents, PAYMENT_INTENT_STATUSES, paymentIntents, type PaymentIntentStatus } from '@/db/schema';
import { canTransition } from '@/lib/payments/state-machine';
import { transitionPaymentIntent } from '@/lib/payments/transition';
import { newId } from '@/lib/ids';
import { assertPaymentInvariants } from '../helpers/invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
let merchantId: string;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  app = await startTestApp();
  const m = await createTestMerchant();
  merchantId = m.merchant.id;
  api = apiClient(app, m.secretKey);
});
afterAll(() => app.close());

async function insertIntent(status: PaymentIntentStatus) {
  const [pi] = await getDb()
    .insert(paymentIntents)
    .values({
      id: newId('paymentIntent'),
      merchantId,
      amount: 1000,
      currency: 'usd',
      status,
      captureMethod: 'automatic',
      amountReceived: status === 'succeeded' ? 1000 : 0,
    })
    .returning();
  return pi!;
}

describe('transitionPaymentIntent', () => {
  const pairs = PAYMENT_INTENT_STATUSES.flatMap((from) => PAYMENT_INTENT_STATUSES.map((to) => [from, to] as const));

  it.each(pairs.filter(([f, t]) => !canTransition(f, t)))('refuses %s -> %s and writes nothing', async (from, to) => {
    const pi = await insertIntent(from);
    await expect(
      getDb().transaction((tx) => transitionPaymentIntent(tx, pi, to, to === 'succeeded' ? { amountReceived: 1000 } : {})),
    ).rejects.toMatchObject({ code: 'payment_intent_unexpected_state', status: 400 });
    const [after] = await getDb().select().from(paymentIntents).where(eq(paymentIntents.id, pi.id));
    expect(after?.status).toBe(from);
    expect(await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, pi.id))).toHaveLength(0);
  });

  it('writes the matching outbox event in the same transaction, and none if it rolls back', async () => {
    const pi = await insertIntent('requires_payment_method');
    await expect(
      getDb().transaction(async (tx) => {
        await transitionPaymentIntent(tx, pi, 'requires_action');
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, pi.id))).toHaveLength(0);
    await getDb().transaction((tx) => transitionPaymentIntent(tx, pi, 'requires_action'));
    const events = await getDb().select().from(outboxEvents).where(eq(outboxEvents.aggregateId, pi.id));
    expect(events.map((e) => e.type)).toEqual(['payment_intent.requires_action']);
  });

  it('detects a concurrent change instead of overwriting it', async () => {
    const pi = await insertIntent('requires_capture');
    await getDb().transaction((tx) => transitionPaymentIntent(tx, pi, 'succeeded', { amountReceived: 1000 }));
    // a second writer that still holds the old row (requires_capture) loses
    await expect(getDb().transaction((tx) => transitionPaymentIntent(tx, pi, 'canceled'))).rejects.toMatchObject({ code: 'payment_in_progress' });
  });

  it('the database itself refuses to move a terminal intent, whatever the code', async () => {
    const pi = await insertIntent('succeeded');
    const dbError = (p: Promise<unknown>) => p.then(() => 'no error', (e: Error & { cause?: Error }) => (e.cause ?? e).message);
    expect(await dbError(getDb().execute(sql`update payment_intents set status = 'requires_payment_method' where id = ${pi.id}`))).toMatch(/terminal/);
    expect(await dbError(getDb().execute(sql`update payment_intents set amount_received = amount + 1 where id = ${pi.id}`))).toMatch(/check constraint/);
    expect(await dbError(getDb().execute(sql`delete from outbox_events`))).toMatch(/cannot be deleted/);
  });
});

describe('any sequence of API operations keeps the invariants (property)', () => {
  const operation = fc.oneof(
    fc.record({
      op: fc.constant('confirm' as const),
      pm: fc.constantFrom('pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_chargeDeclinedInsufficientFunds', 'pm_card_threeDSecure2Required', 'pm_card_radarBlock'),
    }),
    fc.record({ op: fc.constant('cancel' as const) }),
    fc.record({ op: fc.constant('capture' as const), part: fc.integer({ min: 1, max: 1200 }) }),
  );

  it('never regresses a terminal state, never receives more than the amount, never double-charges', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('automatic', 'manual'), fc.array(operation, { minLength: 1, maxLength: 6 }), async (captureMethod, ops) => {
        const pi = (await api.post('/api/v1/payment_intents', { amount: 1000, currency: 'usd', capture_method: captureMethod })).body;
        let terminal: string | null = null;
        for (const step of ops) {
          const path = `/api/v1/payment_intents/${pi.id}/${step.op}`;
          const body = step.op === 'confirm' ? { payment_method: step.pm } : step.op === 'capture' ? { amount_to_capture: step.part } : {};
          const res = await api.post(path, body);
          expect([200, 400, 402]).toContain(res.status);
          const now = (await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status as string;
          if (terminal) expect(now).toBe(terminal);
          if (now === 'succeeded' || now === 'canceled') terminal = now;
        }
        await assertPaymentInvariants(pi.id);
      }),
      { numRuns: 25 },
    );
  });
});
