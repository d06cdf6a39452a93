import { describe, expect, it } from 'vitest';
import {
  assertBalanced,
  authorizationCancelLines,
  captureLines,
  refundConfirmedLines,
  refundFailedLines,
  refundLines,
  reversalLines,
  settlementLines,
  type PostingLine,
} from './posting-rules';

const M = 'mer_abc';
const show = (lines: PostingLine[]) => lines.map((l) => [l.account.kind, l.amountMinor]);

describe('posting rules', () => {
  it('capture: gross Dr clearing / Cr pending, then the fee Dr pending / Cr fee revenue', () => {
    const lines = captureLines({ merchantId: M, currency: 'usd', psp: 'sandbox_card', amountMinor: 10_000, feeMinor: 320 });
    expect(show(lines)).toEqual([
      ['psp_clearing', 10_000],
      ['merchant_pending', -10_000],
      ['merchant_pending', 320],
      ['fee_revenue', -320],
    ]);
    expect(lines[0]!.account.id).toBe('acct_psp_clearing.sandbox_card.usd');
    expect(() => assertBalanced(lines)).not.toThrow();
  });

  it('capture with no fee has two lines; cancel has none', () => {
    expect(captureLines({ merchantId: M, currency: 'jpy', psp: 'p', amountMinor: 1, feeMinor: 0 })).toHaveLength(2);
    expect(authorizationCancelLines()).toEqual([]);
  });

  it('refund: merchant balance to refunds in transit; then PSP clearing pays it, or it comes back', () => {
    expect(show(refundLines({ merchantId: M, currency: 'eur', amountMinor: 500, source: 'merchant_available' }))).toEqual([
      ['merchant_available', 500],
      ['refunds_in_transit', -500],
    ]);
    expect(show(refundConfirmedLines({ psp: 'sandbox_card', currency: 'eur', amountMinor: 500 }))).toEqual([
      ['refunds_in_transit', 500],
      ['psp_clearing', -500],
    ]);
    expect(show(refundFailedLines({ merchantId: M, currency: 'eur', amountMinor: 500, source: 'merchant_pending' }))).toEqual([
      ['refunds_in_transit', 500],
      ['merchant_pending', -500],
    ]);
  });

  it('settlement: Dr bank / Cr clearing for the payout, and pending to available', () => {
    expect(
      show(settlementLines({ merchantId: M, currency: 'gbp', psp: 'sandbox_card', amountMinor: 900, pspPayoutMinor: 950 })),
    ).toEqual([
      ['bank', 950],
      ['psp_clearing', -950],
      ['merchant_pending', 900],
      ['merchant_available', -900],
    ]);
  });

  it('a reversal negates every line and still balances', () => {
    const lines = captureLines({ merchantId: M, currency: 'usd', psp: 'p', amountMinor: 100, feeMinor: 33 });
    const reversed = reversalLines(lines);
    expect(reversed.map((l) => l.amountMinor)).toEqual(lines.map((l) => -l.amountMinor));
    expect(() => assertBalanced(reversed)).not.toThrow();
  });

  it('refuses unbalanced, single-line, zero or fractional entries', () => {
    const [a, b] = captureLines({ merchantId: M, currency: 'usd', psp: 'p', amountMinor: 100, feeMinor: 0 });
    expect(() => assertBalanced([a!])).toThrow(/two or more/);
    expect(() => assertBalanced([a!, { ...b!, amountMinor: -99 }])).toThrow(/do not balance/);
    expect(() =>
      assertBalanced([
        { ...a!, amountMinor: 0 },
        { ...b!, amountMinor: 0 },
      ]),
    ).toThrow(/non-zero/);
    expect(() =>
      assertBalanced([
        { ...a!, amountMinor: 0.5 },
        { ...b!, amountMinor: -0.5 },
      ]),
    ).toThrow(/safe integers/);
    expect(() => captureLines({ merchantId: M, currency: 'usd', psp: 'p', amountMinor: 100, feeMinor: 101 })).toThrow(/fee/);
  });
});
