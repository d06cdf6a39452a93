import { describe, expect, it } from 'vitest';
import { PAYMENT_INTENT_STATUSES } from '@/db/schema';
import { canTransition, CANCELABLE_STATUSES, CONFIRMABLE_STATUSES, isTerminal, PAYMENT_INTENT_TRANSITIONS } from './state-machine';

describe('PaymentIntent state machine', () => {
  it('has an entry for every status', () => {
    expect(Object.keys(PAYMENT_INTENT_TRANSITIONS).sort()).toEqual([...PAYMENT_INTENT_STATUSES].sort());
  });

  it('never leaves a terminal state', () => {
    for (const from of ['succeeded', 'canceled'] as const) {
      expect(isTerminal(from)).toBe(true);
      for (const to of PAYMENT_INTENT_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('never goes back to an earlier pre-payment state from capture', () => {
    expect(canTransition('requires_capture', 'requires_payment_method')).toBe(false);
    expect(canTransition('requires_capture', 'processing')).toBe(false);
    expect(canTransition('processing', 'canceled')).toBe(false);
  });

  it('confirm and cancel are only offered where a transition exists', () => {
    for (const s of CONFIRMABLE_STATUSES) expect(canTransition(s, 'succeeded')).toBe(true);
    for (const s of CANCELABLE_STATUSES) expect(canTransition(s, 'canceled')).toBe(true);
  });
});
