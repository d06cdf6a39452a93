import { and, eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { reconLines } from '@/db/schema';
import { captureEventOf, computeFeeMinor, defaultFeeSchedule, ensureCapturePosted } from '@/lib/ledger';
import { updateLateSuccessPolicy } from '@/lib/merchants/settings';
import { reconcile, settleDueRuns } from '@/lib/reconciliation';
import { setSettlementFaults, type SettlementFault } from '@/sandbox/card';
import { attemptOf, createPaidPayment, createTestPaymentIntent } from '../helpers/factories';
import { assertPaymentInvariants } from '../helpers/invariants';
import { assertLedgerInvariants } from '../helpers/ledger-invariants';
import { startLossyNetwork, type LossyNetwork } from '../helpers/lost-response';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

// Property: whatever the payment history (amounts, partial refunds) and whatever faults the
// network's file carries, every line of the report ends in exactly one outcome, the one its
// fault calls for; exactly the clean lines settle (the merchant's balances say so to the unit);
// the ledger invariants hold; and reconciling the same report again changes nothing. Some payments
// are charged with their answer lost and then failed by us (missing_here): whatever the merchant's
// drawn "accept late successes" policy, each is either booked (and settles) or given back, never both.

let app: TestApp;
let lossy: LossyNetwork;
beforeAll(async () => {
  process.env.PSP_TIMEOUT_MS = '400';
  app = await startTestApp();
  lossy = await startLossyNetwork(app);
});
afterEach(() => {
  setSettlementFaults([]);
});
afterAll(async () => {
  delete process.env.PSP_TIMEOUT_MS;
  await lossy.close();
  await app.close();
});

const FAULTS = ['none', 'fee_different', 'amount_different', 'duplicate_line', 'missing_line', 'currency_mismatch'] as const;
type Fault = (typeof FAULTS)[number];
const EXPECTED: Record<Fault, string[]> = {
  none: ['matched'],
  fee_different: ['fee_mismatch'],
  amount_different: ['amount_mismatch'],
  duplicate_line: ['duplicate_at_psp', 'matched'],
  missing_line: [],
  currency_mismatch: ['currency_mismatch'],
};
const SETTLES: ReadonlySet<Fault> = new Set(['none', 'fee_different', 'duplicate_line']);

const paymentArb = fc.record({
  amount: fc.integer({ min: 100, max: 500_000 }),
  refundPercent: fc.constantFrom(0, 0, 25, 100),
  fault: fc.constantFrom(...FAULTS),
  /** Charged at the network, its answer lost, failed by us (no refund, no fault of the file). */
  lost: fc.constantFrom(false, false, true),
});

const today = () => new Date().toISOString().slice(0, 10);
const tomorrowNoon = () => new Date(Date.parse(`${today()}T12:00:00Z`) + 86_400_000);

describe('reconciliation properties', () => {
  it('every line accounted for, exactly the clean lines settled, invariants hold, a second run changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(paymentArb, { minLength: 1, maxLength: 3 }), fc.boolean(), async (history, acceptLate) => {
        const m = await createTestMerchant();
        const api = apiClient(app, m.secretKey);
        const owner = { user: { id: m.userId, email: m.email, role: 'owner' as const, merchantId: m.merchant.id }, ip: null };
        await updateLateSuccessPolicy(owner, { acceptLateSuccesses: acceptLate });
        const made: { piId: string; ref: string; fault: Fault; net: number }[] = [];
        const lost: { piId: string; attemptId: string; net: number }[] = [];
        for (const p of history) {
          if (p.lost) {
            const pi = await createTestPaymentIntent(api, { amount: p.amount, currency: 'usd' });
            const attempt = await lossy.chargeAndLoseAnswer(api, pi.id);
            lost.push({ piId: pi.id, attemptId: attempt.id, net: p.amount - computeFeeMinor(p.amount, defaultFeeSchedule('usd')) });
            continue;
          }
          const pi = await createPaidPayment(api, { amount: p.amount, currency: 'usd' });
          await ensureCapturePosted(getDb(), await captureEventOf(getDb(), pi.id));
          const fee = computeFeeMinor(p.amount, defaultFeeSchedule('usd'));
          // A refund comes out of the merchant's balance: at most what the payment left there.
          const refund = Math.min(Math.floor((p.amount * p.refundPercent) / 100), p.amount - fee);
          if (refund > 0) expect((await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: refund })).body.status).toBe('succeeded');
          made.push({ piId: pi.id, ref: (await attemptOf(pi.id)).pspReference!, fault: p.fault, net: p.amount - fee - refund });
        }
        const faults: SettlementFault[] = made.flatMap(({ ref, fault }): SettlementFault[] => {
          if (fault === 'none') return [];
          if (fault === 'fee_different' || fault === 'amount_different') return [{ kind: fault, reference: ref, deltaMinor: 7 }];
          return [{ kind: fault, reference: ref }];
        });
        setSettlementFaults(faults);

        const run = await reconcile({ psp: 'sandbox_card', date: today(), now: tomorrowNoon() });
        const [staged] = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from recon_lines where run_id = ${run.run_id} and line_no is not null`);
        expect(staged?.n).toBe(run.report_lines);
        expect(run.matched + Object.values(run.exceptions).reduce((s, n) => s + n, 0)).toBe(run.lines);
        for (const m of made) {
          const lines = await getDb().select().from(reconLines).where(and(eq(reconLines.runId, run.run_id), eq(reconLines.pspReference, m.ref)));
          expect(lines.map((l) => l.outcome).sort(), `${m.fault} on ${m.ref}`).toEqual(EXPECTED[m.fault]);
        }
        for (const l of lost) {
          const lines = await getDb().select().from(reconLines).where(and(eq(reconLines.runId, run.run_id), eq(reconLines.attemptId, l.attemptId)));
          expect(lines.map((x) => [x.outcome, x.healAction])).toEqual([['missing_here', acceptLate ? 'late_success_accepted' : 'reversed_at_psp']]);
          const status = (await attemptOf(l.piId)).status;
          expect(status).toBe(acceptLate ? 'succeeded' : 'reversed');
          // what the ledger's payment_intent.succeeded consumer does for a booked one
          if (acceptLate) await ensureCapturePosted(getDb(), await captureEventOf(getDb(), l.piId));
          await assertPaymentInvariants(l.piId);
        }
        // the hourly pass settles a booked late success once its capture is posted
        await settleDueRuns(tomorrowNoon());
        const booked = acceptLate ? lost.reduce((s, l) => s + l.net, 0) : 0;
        const settledNet = made.filter((m) => SETTLES.has(m.fault)).reduce((s, m) => s + m.net, 0) + booked;
        const totalNet = made.reduce((s, m) => s + m.net, 0) + booked;
        const b = (await api.get('/api/v1/balance')).body;
        const usd = (list: { currency: string; amount: number }[]) => list.find((x) => x.currency === 'usd')?.amount ?? 0;
        const balances = { available: usd(b.available), pending: usd(b.pending) };
        expect(balances).toEqual({ available: settledNet, pending: totalNet - settledNet });
        await assertLedgerInvariants();

        const [before] = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from journal_entries`);
        // A charge given back put its refund into the day's report: the next read is a new revision.
        const revised = !acceptLate && lost.length > 0;
        const again = await reconcile({ psp: 'sandbox_card', date: today(), now: tomorrowNoon() });
        expect(again).toMatchObject({ rerun: !revised, settled: 0 });
        if (!revised) expect(again.run_id).toBe(run.run_id);
        const third = await reconcile({ psp: 'sandbox_card', date: today(), now: tomorrowNoon() });
        expect(third).toMatchObject({ run_id: again.run_id, rerun: true, settled: 0 });
        const [after] = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from journal_entries`);
        expect(after?.n).toBe(before?.n);
        const b2 = (await api.get('/api/v1/balance')).body;
        expect({ available: usd(b2.available), pending: usd(b2.pending) }).toEqual(balances);
        for (const l of lost) expect((await attemptOf(l.piId)).status).toBe(acceptLate ? 'succeeded' : 'reversed');
      }),
      { numRuns: 6 },
    );
    // Each run pays real payments through the sandbox network: minutes on a loaded 2-core box.
  }, 360_000);
});
