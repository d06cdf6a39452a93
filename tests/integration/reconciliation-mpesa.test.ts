import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { mpesaPayments, mpesaRefunds, reconExceptions, reconLines } from '@/db/schema';
import { captureEventOf, ensureCapturePosted } from '@/lib/ledger';
import { abandonAttempt } from '@/lib/payments/resolution';
import { getPaymentSettlement, reconcile } from '@/lib/reconciliation';
import { resetEnvCache } from '@/lib/env';
import { resetDaraja } from '@/lib/psp/daraja';
import { setMpesaFaults } from '@/sandbox/mpesa';
import { fund as payBill, startMerchantServer, type MerchantServer } from '../helpers/daraja-sandbox';
import { attemptOf } from '../helpers/factories';
import { startFetchServer, type FetchServer } from '../helpers/fetch-server';
import { assertLedgerInvariants } from '../helpers/ledger-invariants';
import { enterPin, freshPhone, kesSession, mpesaMerchant, paidByMpesa, phoneState, startMpesaWorld, type MpesaWorld } from '../helpers/mpesa-flow';

/**
 * Reconciliation of M-Pesa: the day's file is the shortcode's Pull Transactions (from the offline
 * Daraja over HTTP), matched by receipt and phone. Each outcome is made the way it happens: a
 * payment paid and booked, a Paybill payment nobody asked for, a payment the customer approved
 * after we gave up on it, and M-Pesa's statement disagreeing with us (a local server in front of
 * Daraja drops or changes a receipt in the Pull Transactions answer).
 */

let world: MpesaWorld;
let outsider: MerchantServer;
let proxy: FetchServer | undefined;

beforeAll(async () => {
  world = await startMpesaWorld({
    MPESA_SANDBOX_AUTO_ANSWER_MS: '150',
    MPESA_SANDBOX_RESULT_DELAY_MS: '50',
    PAYMENT_CALLBACK_TIMEOUT_MS: '400',
    PAYMENT_QUERY_BACKOFF_MS: '200',
    DARAJA_RETRY_BASE_MS: '20',
    DARAJA_RETRY_MAX_DELAY_MS: '50',
    DARAJA_RESULT_WAIT_MS: '300',
  });
  outsider = await startMerchantServer();
});
afterEach(async () => {
  setMpesaFaults(null);
  await proxy?.close();
  proxy = undefined;
  delete process.env.DARAJA_BASE_URL;
  resetEnvCache();
  resetDaraja();
});
afterAll(async () => {
  await outsider.close();
  await world.close();
});

/**
 * A Paybill payment to an account number that is no order of ours: the shortcode's C2B URLs are
 * pointed at a server that accepts anything (as when validation is off), so M-Pesa takes it.
 */
async function strayPaybill(shillings: number, phone = freshPhone()): Promise<string> {
  const registered = await world.daraja.post('mpesa/c2b/v1/registerurl', {
    ShortCode: world.daraja.shortcode,
    ResponseType: 'Completed',
    ConfirmationURL: `${outsider.url}/confirmation`,
    ValidationURL: `${outsider.url}/validation`,
  });
  expect(registered.status, JSON.stringify(registered.body)).toBe(200);
  return payBill(world.daraja, shillings, phone, 'NOT-AN-ORDER');
}

/** Daraja behind a local server that rewrites each Pull Transactions answer (what M-Pesa's statement says). */
async function statementSays(edit: (rows: { transactionId: string; amount: string | number }[]) => unknown[]) {
  const upstream = `${world.app.url}/api/sandbox/mpesa`;
  proxy = await startFetchServer(async (req) => {
    const url = new URL(req.url);
    const body = req.method === 'POST' ? await req.text() : undefined;
    const answer = await fetch(`${upstream}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, ...(body !== undefined ? { body } : {}) });
    if (!url.pathname.endsWith('/pulltransactions/v1/query') || answer.status !== 200) return answer;
    const json = (await answer.json()) as { Response: { transactionId: string; amount: string | number }[][] };
    return Response.json({ ...json, Response: json.Response.map(edit) });
  });
  process.env.DARAJA_BASE_URL = proxy.url;
  resetEnvCache();
  resetDaraja();
}

const today = () => new Date().toISOString().slice(0, 10);
/** The day is over (its file is final) but still inside Pull Transactions' 48 hours. */
const tomorrowMorning = () => new Date(Date.parse(`${today()}T06:00:00Z`) + 86_400_000);

type Api = Awaited<ReturnType<typeof mpesaMerchant>>['api'];

/** A payment paid on the phone, its capture booked, and its receipt as we know it. */
async function paidAndBooked(api: Api, amount: number) {
  const paid = await paidByMpesa(world, api, amount);
  await ensureCapturePosted(getDb(), await captureEventOf(getDb(), paid.paymentIntentId));
  const attempt = await attemptOf(paid.paymentIntentId);
  const [mpesa] = await getDb().select().from(mpesaPayments).where(eq(mpesaPayments.attemptId, attempt.id));
  expect(mpesa?.receiptNumber).toMatch(/^[A-Z0-9]{10}$/);
  return { ...paid, attempt, receipt: mpesa!.receiptNumber! };
}

async function linesOf(runId: string, where: { attemptId?: string; lineId?: string }) {
  return getDb()
    .select()
    .from(reconLines)
    .where(and(eq(reconLines.runId, runId), where.attemptId ? eq(reconLines.attemptId, where.attemptId) : eq(reconLines.lineId, where.lineId!)));
}

describe('reconciliation of M-Pesa (Pull Transactions)', () => {
  it('matches a paid receipt to its attempt by receipt and phone, three ways, and settles it', async () => {
    const { api, merchantId } = await mpesaMerchant(world.app);
    const paid = await paidAndBooked(api, 120_000);

    const run = await reconcile({ psp: 'mpesa', date: today(), now: tomorrowMorning() });
    expect(run).toMatchObject({ psp: 'mpesa', report_complete: true, rerun: false });
    const [line, ...more] = await linesOf(run.run_id, { attemptId: paid.attempt.id });
    expect(more).toHaveLength(0);
    expect(line).toMatchObject({ lineId: paid.receipt, type: 'charge', outcome: 'matched', grossMinor: 120_000, feeMinor: 0, currency: 'kes' });
    expect(line!.paymentIntentId).toBe(paid.paymentIntentId);
    // M-Pesa's money is in the business account when booked: the line settles at once, and
    // exactly the payment's net moves from pending to available (this merchant's only payment)
    const settlement = await getPaymentSettlement(merchantId, paid.paymentIntentId);
    expect(settlement.status).toBe('settled');
    const released = settlement.lines[0]?.releasedMinor ?? 0;
    expect(settlement.lines.map((l) => l.outcome)).toEqual(['matched']);
    expect(released).toBeGreaterThan(0);
    const kes = (list: { currency: string; amount: number }[]) => list.find((x) => x.currency === 'kes')?.amount ?? 0;
    const balance = (await api.get('/api/v1/balance')).body;
    expect({ available: kes(balance.available), pending: kes(balance.pending) }).toEqual({ available: released, pending: 0 });
    // totals add up: every line of the file has exactly one outcome
    const exceptions = Object.values(run.exceptions).reduce((a, b) => a + (b ?? 0), 0);
    expect(run.matched + exceptions).toBe(run.lines);
    await assertLedgerInvariants();

    // the same file again: the run is found, nothing changes
    const again = await reconcile({ psp: 'mpesa', date: today(), now: tomorrowMorning() });
    expect(again).toMatchObject({ run_id: run.run_id, rerun: true });
  });

  it('a receipt we have no payment for is missing_here, raised for a person with the line as evidence', async () => {
    const receipt = await strayPaybill(75);
    const run = await reconcile({ psp: 'mpesa', date: today(), now: tomorrowMorning() });
    const [line] = await linesOf(run.run_id, { lineId: receipt });
    expect(line).toMatchObject({ outcome: 'missing_here', attemptId: null, grossMinor: 7_500, healAction: null });
    const [exception] = await getDb()
      .select()
      .from(reconExceptions)
      .where(and(eq(reconExceptions.psp, 'mpesa'), eq(reconExceptions.subject, receipt)));
    expect(exception).toMatchObject({ kind: 'missing_here', status: 'open', amountMinor: 7_500, currency: 'kes' });
    expect((exception!.evidence as { line: { psp_reference: string } }).line.psp_reference).toBe(receipt);
  });

  it('a payment the customer approved after we failed it (its receipt never reached us) is found by phone and given back, once', async () => {
    const { api } = await mpesaMerchant(world.app);
    const cs = await kesSession(api, 43_000);
    const phone = freshPhone();
    const res = await fetch(`${world.app.url}/api/pay/${cs.id}/mpesa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ phone }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const prompt = await world.settle(async () => (await phoneState(world.app, phone)).prompt);
    // our deadline passes before the customer answers: we fail the attempt (M-Pesa asked once more: still open)
    const attempt = await attemptOf(cs.payment_intent);
    await abandonAttempt(attempt.id, 'processing');
    expect((await attemptOf(cs.payment_intent)).status).toBe('failed');
    // then the customer enters the PIN; the callback is lost, so only M-Pesa's statement knows
    setMpesaFaults({ drop: true });
    expect((await enterPin(world.app, phone, prompt.checkoutRequestId)).ResultCode).toBe(0);

    const run = await reconcile({ psp: 'mpesa', date: today(), now: tomorrowMorning() });
    const [line, ...more] = await linesOf(run.run_id, { attemptId: attempt.id });
    expect(more).toHaveLength(0);
    expect(line).toMatchObject({ type: 'charge', outcome: 'missing_here', grossMinor: 43_000 });
    expect(line!.ours).toMatchObject({ matched_by: 'phone_amount_date', attempt_status: 'failed' });
    expect(['reversal_owed', 'reversed_at_psp']).toContain(line!.healAction);
    expect(['reversal_pending', 'reversed']).toContain((await attemptOf(cs.payment_intent)).status);

    // a second run (a new file: other receipts came in) does not give it back again
    await strayPaybill(12);
    const second = await reconcile({ psp: 'mpesa', date: today(), now: tomorrowMorning() });
    expect(second.rerun).toBe(false);
    const [again] = await linesOf(second.run_id, { attemptId: attempt.id });
    expect(again).toMatchObject({ outcome: 'missing_here', healAction: 'already_reversed' });
    const givenBack = await getDb().select().from(mpesaRefunds).where(eq(mpesaRefunds.attemptId, attempt.id));
    expect(givenBack).toHaveLength(1);
    expect(givenBack[0]).toMatchObject({ amountMinor: 43_000, refundKey: `${attempt.id}:reverse` });
    await assertLedgerInvariants();
  });

  it('a payment we booked that the statement does not list is missing_at_psp; a different amount is amount_mismatch', async () => {
    const { api } = await mpesaMerchant(world.app);
    const lost = await paidAndBooked(api, 30_000);
    const changed = await paidAndBooked(api, 50_000);
    // M-Pesa's statement loses one receipt and shows the other for KES 10 less
    await statementSays((rows) =>
      rows.filter((r) => r.transactionId !== lost.receipt).map((r) => (r.transactionId === changed.receipt ? { ...r, amount: '490.00' } : r)),
    );

    const run = await reconcile({ psp: 'mpesa', date: today(), now: tomorrowMorning() });
    const [missing] = await linesOf(run.run_id, { attemptId: lost.attempt.id });
    expect(missing).toMatchObject({ outcome: 'missing_at_psp', lineNo: null, grossMinor: 30_000 });
    const [mismatch] = await linesOf(run.run_id, { attemptId: changed.attempt.id });
    expect(mismatch).toMatchObject({ lineId: changed.receipt, outcome: 'amount_mismatch', grossMinor: 49_000 });
    expect(mismatch!.ours).toMatchObject({ ledger_captured: 50_000 });
    const kinds = await getDb()
      .select({ kind: reconExceptions.kind, subject: reconExceptions.subject })
      .from(reconExceptions)
      .where(eq(reconExceptions.runId, run.run_id));
    expect(kinds).toEqual(expect.arrayContaining([{ kind: 'missing_at_psp', subject: lost.attempt.id }, { kind: 'amount_mismatch', subject: changed.receipt }]));
    await assertLedgerInvariants();
  });

  it('a full refund (a reversal of the receipt) matches our refund', async () => {
    const { api } = await mpesaMerchant(world.app);
    const paid = await paidAndBooked(api, 80_000);
    await paidAndBooked(api, 60_000);
    const created = (await api.post('/api/v1/refunds', { payment_intent: paid.paymentIntentId })).body as { id: string };
    const done = await world.settle(async () => {
      const r = (await api.get(`/api/v1/refunds/${created.id}`)).body;
      return r.status === 'pending' ? undefined : r;
    });
    expect(done.status).toBe('succeeded');
    const run = await reconcile({ psp: 'mpesa', date: today(), now: tomorrowMorning() });
    const refundLines = await getDb()
      .select()
      .from(reconLines)
      .where(and(eq(reconLines.runId, run.run_id), eq(reconLines.refundId, created.id)));
    expect(refundLines.map((l) => [l.type, l.outcome, l.grossMinor])).toEqual([['refund', 'matched', -80_000]]);
  });

  it('npm run admin -- reconcile --psp mpesa prints the run', async () => {
    const receipt = await strayPaybill(20);
    const child = await promisify(execFile)(path.resolve('node_modules/.bin/tsx'), ['scripts/admin.ts', 'reconcile', '--psp', 'mpesa', '--date', today(), '--json'], {
      env: { ...process.env },
      timeout: 60_000,
    });
    const summary = JSON.parse(child.stdout);
    expect(summary).toMatchObject({ psp: 'mpesa', date: today(), rerun: false });
    expect(summary.exceptions.missing_here).toBeGreaterThanOrEqual(1);
    const [line] = await linesOf(summary.run_id, { lineId: receipt });
    expect(line).toMatchObject({ outcome: 'missing_here' });
  });
});
