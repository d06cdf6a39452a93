import { and, eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { reconLines } from '@/db/schema';
import { captureEventOf, computeFeeMinor, defaultFeeSchedule, ensureCapturePosted } from '@/lib/ledger';
import { reconcile } from '@/lib/reconciliation';
import { setSettlementFaults, type SettlementFault } from '@/sandbox/card';
import { attemptOf, createPaidPayment } from '../helpers/factories';
import { assertLedgerInvariants } from '../helpers/ledger-invariants';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

// Property: whatever the payment history (amounts, partial refunds) and whatever faults the
// network's file carries, every line of the report ends in exactly one outcome, the one its
// fault calls for; exactly the clean lines settle (the merchant's balances say so to the unit);
// the ledger invariants hold; and reconciling the same report again changes nothing.

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterEach(() => {
  setSettlementFaults([]);
});
afterAll(() => app.close());

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
});

const today = () => new Date().toISOString().slice(0, 10);
const tomorrowNoon = () => new Date(Date.parse(`${today()}T12:00:00Z`) + 86_400_000);

describe('reconciliation properties', () => {
  it('every line accounted for, exactly the clean lines settled, invariants hold, a second run changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(paymentArb, { minLength: 1, maxLength: 3 }), async (history) => {
        const api = apiClient(app, (await createTestMerchant()).secretKey);
        const made: { piId: string; ref: string; fault: Fault; net: number }[] = [];
        for (const p of history) {
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
        const settledNet = made.filter((m) => SETTLES.has(m.fault)).reduce((s, m) => s + m.net, 0);
        const totalNet = made.reduce((s, m) => s + m.net, 0);
        const b = (await api.get('/api/v1/balance')).body;
        const usd = (list: { currency: string; amount: number }[]) => list.find((x) => x.currency === 'usd')?.amount ?? 0;
        expect({ available: usd(b.available), pending: usd(b.pending) }).toEqual({ available: settledNet, pending: totalNet - settledNet });
        await assertLedgerInvariants();

        const [before] = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from journal_entries`);
        const again = await reconcile({ psp: 'sandbox_card', date: today(), now: tomorrowNoon() });
        expect(again).toMatchObject({ run_id: run.run_id, rerun: true, settled: 0 });
        const [after] = await getDb().execute<{ n: number }>(sql`select count(*)::int as n from journal_entries`);
        expect(after?.n).toBe(before?.n);
      }),
      { numRuns: 6 },
    );
    // Each run pays real payments through the sandbox network: minutes on a loaded 2-core box.
  }, 240_000);
});
