import { describe, expect, it } from 'vitest';
import { paymentDisplayStatus, type PaymentStatusFacts } from './status-labels';

const base: PaymentStatusFacts = {
  status: 'succeeded',
  amountReceived: 1000,
  amountRefunded: 0,
  disputeStatus: null,
  blockedByRisk: false,
  failedAttempts: 0,
};

describe('paymentDisplayStatus', () => {
  it.each([
    [{}, 'Succeeded'],
    [{ amountRefunded: 400 }, 'Partially refunded'],
    [{ amountRefunded: 1000 }, 'Refunded'],
    [{ disputeStatus: 'needs_response', amountRefunded: 400 }, 'Disputed'],
    [{ disputeStatus: 'won' }, 'Succeeded'],
    [{ status: 'requires_payment_method', amountReceived: 0, blockedByRisk: true, failedAttempts: 1 }, 'Blocked by risk'],
    [{ status: 'requires_payment_method', amountReceived: 0, failedAttempts: 2 }, 'Declined'],
    [{ status: 'requires_payment_method', amountReceived: 0 }, 'Incomplete'],
    [{ status: 'requires_capture', amountReceived: 0 }, 'Uncaptured'],
    [{ status: 'canceled', amountReceived: 0 }, 'Canceled'],
  ] as const)('%o reads %s', (facts, label) => {
    const s = paymentDisplayStatus({ ...base, ...facts });
    expect(s.label).toBe(label);
    expect(s.meaning.length).toBeGreaterThan(10);
  });
});
