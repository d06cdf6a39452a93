import { and, eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { checkoutSessions, journalTransactions, outboxEvents, paymentAttempts, paymentIntents, reconLines, sandboxCardPayments, sandboxCardRefunds, settlementItems } from '@/db/schema';
import { defineFunctions } from '@/inngest';
import { listAudit } from '@/lib/audit';
import { env } from '@/lib/env';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { captureEventOf, computeFeeMinor, defaultFeeSchedule, ensureCapturePosted } from '@/lib/ledger';
import { getMerchantSettings, updateLateSuccessPolicy } from '@/lib/merchants/settings';
import { applyPspPayment } from '@/lib/payments/apply-psp-result';
import { getPaymentMethodAdapter } from '@/lib/psp/registry';
import { getPaymentSettlement, reconcile, settleDueRuns } from '@/lib/reconciliation';
import { verifyWebhookSignature } from '@/lib/webhooks/signature';
import { setSettlementFaults } from '@/sandbox/card';
import { startHarness, type Harness } from '../helpers/engine-harness';
import { attemptOf, createPaidPayment, createTestCheckoutSession, createTestPaymentIntent } from '../helpers/factories';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { assertPaymentInvariants } from '../helpers/invariants';
import { assertLedgerInvariants } from '../helpers/ledger-invariants';
import { startLossyNetwork, type LossyNetwork } from '../helpers/lost-response';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

// The merchant policy "accept late successes": reconciliation finds the PSP charged a payment we
// had failed (a real lost response through the sandbox network). Off: the money goes back. On,
// with the order still open: the charge is booked as the payment, once, through the state machine,
// and the ledger's consumer posts the capture. Never both, whatever races the decision.

let app: TestApp;
let lossy: LossyNetwork;
let harness: Harness | undefined;
let receiver: FetchServer | undefined;

beforeAll(async () => {
  process.env.PSP_TIMEOUT_MS = '400';
  process.env.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
  app = await startTestApp();
  lossy = await startLossyNetwork(app);
});
afterEach(async () => {
  setSettlementFaults([]);
  await harness?.close();
  harness = undefined;
  await receiver?.close();
  receiver = undefined;
});
afterAll(async () => {
  delete process.env.PSP_TIMEOUT_MS;
  delete process.env.WEBHOOK_ALLOW_PRIVATE_URLS;
  await lossy.close();
  await app.close();
});

const today = () => new Date().toISOString().slice(0, 10);
const tomorrowNoon = () => new Date(Date.parse(`${today()}T12:00:00Z`) + 86_400_000);
type Merchant = Awaited<ReturnType<typeof createTestMerchant>>;

const owner = (m: Merchant) => ({ user: { id: m.userId, email: m.email, role: 'owner' as const, merchantId: m.merchant.id }, ip: '203.0.113.7' });

async function merchant(acceptLateSuccesses: boolean) {
  const m = await createTestMerchant();
  if (acceptLateSuccesses) await updateLateSuccessPolicy(owner(m), { acceptLateSuccesses: true });
  return { m, api: apiClient(app, m.secretKey) };
}

async function balance(api: ReturnType<typeof apiClient>) {
  const b = (await api.get('/api/v1/balance')).body;
  const usd = (list: { currency: string; amount: number }[]) => list.find((x) => x.currency === 'usd')?.amount ?? 0;
  return { available: usd(b.available), pending: usd(b.pending) };
}

async function lineFor(runId: string, attemptId: string) {
  const lines = await getDb().select().from(reconLines).where(and(eq(reconLines.runId, runId), eq(reconLines.attemptId, attemptId), eq(reconLines.type, 'charge')));
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

const eventsOf = (piId: string, type: string) =>
  getDb().select().from(outboxEvents).where(and(eq(outboxEvents.aggregateId, piId), eq(outboxEvents.type, type)));
const capturesOf = (piId: string) =>
  getDb().select().from(journalTransactions).where(and(eq(journalTransactions.paymentIntentId, piId), eq(journalTransactions.kind, 'capture')));
const refundsAtPsp = (pspReference: string) => getDb().select().from(sandboxCardRefunds).where(eq(sandboxCardRefunds.paymentId, pspReference));
const count = async (table: 'journal_entries' | 'outbox_events') =>
  Number((await getDb().execute<{ n: number }>(sql`select count(*)::int as n from ${sql.raw(table)}`))[0]?.n);

/** Given back, and not booked: the attempt reversed at the PSP, the intent never succeeded. */
async function expectGivenBack(piId: string, attemptId: string, runId: string) {
  const line = await lineFor(runId, attemptId);
  expect([line.outcome, line.healAction]).toEqual(['missing_here', 'reversed_at_psp']);
  const attempt = (await getDb().select().from(paymentAttempts).where(eq(paymentAttempts.id, attemptId)))[0]!;
  expect(attempt.status).toBe('reversed');
  expect((await refundsAtPsp(line.pspReference!)).map((r) => [r.amount, r.status])).toEqual([[line.grossMinor, 'succeeded']]);
  const [reversal, ...more] = await eventsOf(piId, 'payment_intent.late_success_reversed');
  expect(more).toEqual([]);
  expect(await eventsOf(piId, 'payment_intent.late_success_accepted')).toHaveLength(0);
  // the timeline says why: the report line, and why it was not booked instead
  const owedBecause = (reversal?.data as { owed_because?: string }).owed_because ?? '';
  expect(owedBecause).toContain(line.lineId!);
  return { line, attempt, owedBecause };
}

describe('the "accept late successes" setting', () => {
  it('is off by default; only an owner turns it on; bad input changes nothing; the change is audited', async () => {
    const m = await createTestMerchant();
    expect((await getMerchantSettings(m.merchant.id)).acceptLateSuccesses).toBe(false);
    const developer = { ...owner(m), user: { ...owner(m).user, role: 'developer' as const } };
    await expect(updateLateSuccessPolicy(developer, { acceptLateSuccesses: true })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(updateLateSuccessPolicy(owner(m), { acceptLateSuccesses: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'parameter_invalid' });
    expect((await getMerchantSettings(m.merchant.id)).acceptLateSuccesses).toBe(false);
    await updateLateSuccessPolicy(owner(m), { acceptLateSuccesses: true });
    expect(await getMerchantSettings(m.merchant.id)).toMatchObject({ acceptLateSuccesses: true, pspRouting: { card: ['sandbox_card', 'stripe'] } });
    const audit = (await listAudit(m.merchant.id)).rows.filter((r) => r.action === 'settings.late_success_policy_update');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ details: { acceptLateSuccesses: true } });
  });
});

describe('a charge the PSP made for a payment we failed', () => {
  it('policy off: given back at the PSP, and the payment stays unpaid', async () => {
    const { api } = await merchant(false);
    const pi = await createTestPaymentIntent(api, { amount: 2_600 });
    const attempt = await lossy.chargeAndLoseAnswer(api, pi.id);
    const run = await reconcile({ psp: 'sandbox_card', date: today() });
    const { owedBecause } = await expectGivenBack(pi.id, attempt.id, run.run_id);
    expect(owedBecause).not.toMatch(/not booked/);
    expect((await api.get(`/api/v1/payment_intents/${pi.id}`)).body.status).toBe('requires_payment_method');
    await assertPaymentInvariants(pi.id);
    await assertLedgerInvariants();
  });

  it('policy on, order open: booked once as the payment; the consumer posts the capture, the webhook fires, the line settles; a re-run changes nothing', async () => {
    const { m, api } = await merchant(true);
    const received: { body: string; signature: string | null }[] = [];
    receiver = await startFetchServer(async (req) => {
      received.push({ body: await req.text(), signature: req.headers.get('stripe-signature') });
      return new Response('ok');
    });
    const endpoint = await api.post('/api/v1/webhook_endpoints', {
      url: `${receiver.url}/hooks`,
      enabled_events: ['payment_intent.succeeded', 'payment_intent.late_success_accepted'],
    });
    expect(endpoint.status).toBe(200);
    const session = await createTestCheckoutSession(api, { line_items: [{ name: 'Lamp', quantity: 1, unit_amount: 5_200 }] });
    const attempt = await lossy.chargeAndLoseAnswer(api, session.payment_intent);
    const piId = session.payment_intent as string;

    const run = await reconcile({ psp: 'sandbox_card', date: today() });
    const line = await lineFor(run.run_id, attempt.id);
    expect([line.outcome, line.healAction]).toEqual(['missing_here', 'late_success_accepted']);
    expect(run.healed).toBeGreaterThanOrEqual(1);
    const pi = (await api.get(`/api/v1/payment_intents/${piId}`)).body;
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 5_200, last_payment_error: null, latest_charge: expect.any(String) });
    const booked = await attemptOf(piId);
    expect(booked).toMatchObject({ id: attempt.id, status: 'succeeded', pspReference: line.pspReference, failureCode: null });
    expect((await getDb().select().from(checkoutSessions).where(eq(checkoutSessions.id, session.id)))[0]?.status).toBe('complete');
    expect(await refundsAtPsp(line.pspReference!)).toEqual([]);
    expect(await eventsOf(piId, 'payment_intent.succeeded')).toHaveLength(1);
    const [accepted, ...more] = await eventsOf(piId, 'payment_intent.late_success_accepted');
    expect(more).toEqual([]);
    expect(accepted?.data).toMatchObject({
      payment_attempt: attempt.id,
      previous_failure: { code: 'psp_unresolved' },
      evidence: { run: run.run_id, line_id: line.lineId, gross: 5_200, psp_reference: line.pspReference },
    });
    // The capture is the ledger consumer's, not reconciliation's: nothing is booked until it runs.
    expect(await capturesOf(piId)).toEqual([]);

    harness = await startHarness((client) => defineFunctions(client));
    await relayOutboxBatch((events: RelayedEvent[]) => harness!.client.send(events).then(() => undefined));
    await harness.waitFor(async () => received.length >= 2 && (await capturesOf(piId)).length === 1);
    await harness.engine.drain();
    const delivered = received.map((r) => verifyWebhookSignature<{ type: string; data: { object: { id: string; status: string } } }>(r.body, r.signature, endpoint.body.secret));
    expect(delivered.map((e) => e.type).sort()).toEqual(['payment_intent.late_success_accepted', 'payment_intent.succeeded']);
    expect(delivered.map((e) => [e.data.object.id, e.data.object.status])).toEqual([[piId, 'succeeded'], [piId, 'succeeded']]);
    expect(await capturesOf(piId)).toHaveLength(1);
    const fee = computeFeeMinor(5_200, defaultFeeSchedule('usd'));
    expect(await balance(api)).toEqual({ available: 0, pending: 5_200 - fee });

    // The hourly settlement pass follows the line once its capture is booked: exactly its net.
    expect((await settleDueRuns(tomorrowNoon())).lines).toBeGreaterThanOrEqual(1);
    expect(await balance(api)).toEqual({ available: 5_200 - fee, pending: 0 });
    expect((await getPaymentSettlement(m.merchant.id, piId)).status).toBe('settled');
    await assertPaymentInvariants(piId);
    await assertLedgerInvariants();

    // The same report again: nothing changes.
    const [entries, events] = [await count('journal_entries'), await count('outbox_events')];
    const again = await reconcile({ psp: 'sandbox_card', date: today(), now: tomorrowNoon() });
    expect(again).toMatchObject({ run_id: run.run_id, rerun: true, settled: 0, healed: run.healed });
    expect([await count('journal_entries'), await count('outbox_events')]).toEqual([entries, events]);
    // A new revision of the day's report (another payment): the booked charge now matches and is not settled twice.
    await createPaidPayment(api, { amount: 1_000, currency: 'usd' });
    const revised = await reconcile({ psp: 'sandbox_card', date: today(), now: tomorrowNoon() });
    expect(revised.rerun).toBe(false);
    expect((await lineFor(revised.run_id, attempt.id)).outcome).toBe('matched');
    expect(await getDb().select().from(settlementItems).where(eq(settlementItems.paymentIntentId, piId))).toHaveLength(1);
    expect(await eventsOf(piId, 'payment_intent.succeeded')).toHaveLength(1);
    expect(await refundsAtPsp(line.pspReference!)).toEqual([]);
    await assertLedgerInvariants();
  });

  it('policy on, and the PSP kept another fee than its contract: booked, the fee corrected once, the ledger equals the PSP', async () => {
    const { api } = await merchant(true);
    const pi = await createTestPaymentIntent(api, { amount: 8_000 });
    const attempt = await lossy.chargeAndLoseAnswer(api, pi.id);
    // The network's own id for the charge we never heard about (its books, by our idempotency key).
    const [atNetwork] = await getDb().select().from(sandboxCardPayments).where(eq(sandboxCardPayments.idempotencyKey, attempt.pspIdempotencyKey));
    setSettlementFaults([{ kind: 'fee_different', reference: atNetwork!.id, deltaMinor: 11 }]);
    const run = await reconcile({ psp: 'sandbox_card', date: today() });
    const line = await lineFor(run.run_id, attempt.id);
    expect([line.outcome, line.healAction, line.feeMinor]).toEqual(['missing_here', 'late_success_accepted', 120 + 11]); // contract 1.5%
    const adjustments = await getDb().select().from(journalTransactions).where(eq(journalTransactions.eventId, `recon-fee:sandbox_card:${line.lineId}`));
    expect(adjustments.map((t) => t.kind)).toEqual(['recon_fee_adjustment']);
    await reconcile({ psp: 'sandbox_card', date: today() });
    expect(await getDb().select().from(journalTransactions).where(eq(journalTransactions.eventId, `recon-fee:sandbox_card:${line.lineId}`))).toHaveLength(1);
    expect((await attemptOf(pi.id)).status).toBe('succeeded');
    await assertPaymentInvariants(pi.id);
    await assertLedgerInvariants();
  });

  it('policy on, but the customer then paid with another card: the late charge is given back, the payment keeps its one success', async () => {
    const { api } = await merchant(true);
    const pi = await createTestPaymentIntent(api, { amount: 3_100 });
    const first = await lossy.chargeAndLoseAnswer(api, pi.id);
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_mastercard' })).body.status).toBe('succeeded');
    const run = await reconcile({ psp: 'sandbox_card', date: today() });
    const { owedBecause } = await expectGivenBack(pi.id, first.id, run.run_id);
    expect(owedBecause).toMatch(/not booked as the payment: the payment is succeeded/);
    expect(await eventsOf(pi.id, 'payment_intent.succeeded')).toHaveLength(1);
    const paid = (await getDb().select().from(paymentIntents).where(eq(paymentIntents.id, pi.id)))[0]!;
    expect(paid.latestAttemptId).not.toBe(first.id);
    await assertPaymentInvariants(pi.id);
    await assertLedgerInvariants();
  });

  it('two attempts of one payment, the failed one in the file and the paid one left out of it: the paid one is missing_at_psp', async () => {
    // missing_at_psp looks for a line naming the attempt itself, not just its payment: the failed
    // attempt's line must not hide the paid attempt's absence.
    const { api } = await merchant(false);
    const pi = await createTestPaymentIntent(api, { amount: 3_150 });
    const first = await lossy.chargeAndLoseAnswer(api, pi.id);
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_mastercard' })).body.status).toBe('succeeded');
    await ensureCapturePosted(getDb(), await captureEventOf(getDb(), pi.id));
    const [second] = await getDb().select().from(paymentAttempts).where(and(eq(paymentAttempts.paymentIntentId, pi.id), eq(paymentAttempts.status, 'succeeded')));
    expect(second!.id).not.toBe(first.id);
    // both happened yesterday, on both sides, so yesterday's file is complete
    const moved = await getDb().execute(sql`update sandbox_card_payments set updated_at = updated_at - interval '1 day'
       where idempotency_key in (select psp_idempotency_key from payment_attempts where payment_intent_id = ${pi.id}) returning id`);
    expect(moved).toHaveLength(2);
    await getDb().execute(sql`update payment_attempts set updated_at = updated_at - interval '1 day' where payment_intent_id = ${pi.id}`);
    setSettlementFaults([{ kind: 'missing_line', reference: second!.pspReference! }]);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const run = await reconcile({ psp: 'sandbox_card', date: yesterday });
    expect(run.report_complete).toBe(true);
    expect((await lineFor(run.run_id, first.id)).outcome).toBe('missing_here');
    expect((await lineFor(run.run_id, second!.id)).outcome).toBe('missing_at_psp');
    await assertLedgerInvariants();
  });

  it('policy on, but the merchant canceled the payment: given back', async () => {
    const { api } = await merchant(true);
    const pi = await createTestPaymentIntent(api, { amount: 3_200 });
    const attempt = await lossy.chargeAndLoseAnswer(api, pi.id);
    expect((await api.post(`/api/v1/payment_intents/${pi.id}/cancel`, {})).body.status).toBe('canceled');
    const run = await reconcile({ psp: 'sandbox_card', date: today() });
    const given = await expectGivenBack(pi.id, attempt.id, run.run_id);
    expect(given.owedBecause).toMatch(/not booked as the payment: the payment is canceled/);
    expect(await eventsOf(pi.id, 'payment_intent.succeeded')).toHaveLength(0);
    await assertPaymentInvariants(pi.id);
    await assertLedgerInvariants();
  });

  it('policy on, but the checkout session ran past its expiry (not yet swept): given back', async () => {
    const { api } = await merchant(true);
    const session = await createTestCheckoutSession(api, { line_items: [{ name: 'Vase', quantity: 1, unit_amount: 3_300 }] });
    const attempt = await lossy.chargeAndLoseAnswer(api, session.payment_intent);
    // Time passes: the customer left, the session's expiry is behind us, the sweep has not run yet.
    await getDb().update(checkoutSessions).set({ expiresAt: new Date(Date.now() - 60_000) }).where(eq(checkoutSessions.id, session.id));
    const run = await reconcile({ psp: 'sandbox_card', date: today() });
    const given = await expectGivenBack(session.payment_intent, attempt.id, run.run_id);
    expect(given.owedBecause).toMatch(/checkout session is no longer open/);
    expect(await eventsOf(session.payment_intent, 'payment_intent.succeeded')).toHaveLength(0);
    await assertPaymentInvariants(session.payment_intent);
    await assertLedgerInvariants();
  });

  it('two runs at once book it once', async () => {
    const { api } = await merchant(true);
    const pi = await createTestPaymentIntent(api, { amount: 3_400 });
    const attempt = await lossy.chargeAndLoseAnswer(api, pi.id);
    const [a, b] = await Promise.all([reconcile({ psp: 'sandbox_card', date: today() }), reconcile({ psp: 'sandbox_card', date: today() })]);
    expect(a.run_id).toBe(b.run_id);
    expect([a.rerun, b.rerun].sort()).toEqual([false, true]);
    const line = await lineFor(a.run_id, attempt.id);
    expect(line.healAction).toBe('late_success_accepted');
    expect(await eventsOf(pi.id, 'payment_intent.succeeded')).toHaveLength(1);
    expect(await eventsOf(pi.id, 'payment_intent.late_success_accepted')).toHaveLength(1);
    expect(await refundsAtPsp(line.pspReference!)).toEqual([]);
    await assertPaymentInvariants(pi.id);
    await assertLedgerInvariants();
  });

  it('a run racing the card network\'s late answer for the same attempt: booked or given back, never both', async () => {
    const { api } = await merchant(true);
    for (const amount of [3_500, 3_600]) {
      const pi = await createTestPaymentIntent(api, { amount });
      const attempt = await lossy.chargeAndLoseAnswer(api, pi.id);
      // What the network's late callback leads to: its answer (a read by the attempt's idempotency key), applied.
      const answer = await getPaymentMethodAdapter('sandbox_card').resolve({ ...attempt, capture: true });
      expect(answer?.status).toBe('captured');
      await Promise.all([reconcile({ psp: 'sandbox_card', date: today() }), applyPspPayment(attempt.id, answer!, env().APP_URL)]);
      const after = await attemptOf(pi.id);
      const succeededEvents = (await eventsOf(pi.id, 'payment_intent.succeeded')).length;
      const refunds = await refundsAtPsp(answer!.pspReference);
      if (after.status === 'succeeded') expect([succeededEvents, refunds.length]).toEqual([1, 0]);
      else {
        // the late answer was first: owed back (and the run's reversal or the sweep gives it back)
        expect(['reversal_pending', 'reversed']).toContain(after.status);
        expect(succeededEvents).toBe(0);
        expect(refunds.length).toBeLessThanOrEqual(1);
      }
      await assertPaymentInvariants(pi.id);
    }
    await assertLedgerInvariants();
  });
});
