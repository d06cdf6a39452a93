import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATTEMPT_STATUSES, PAYMENT_INTENT_STATUSES, REFUND_STATUSES } from '@/db/schema';
import { canTransitionRefund, isPendingRefund, REFUND_TRANSITIONS, TERMINAL_REFUND_STATUSES } from '@/lib/refunds/state-machine';
import {
  ATTEMPT_TRANSITIONS,
  canTransition,
  canTransitionAttempt,
  CANCELABLE_STATUSES,
  CONFIRMABLE_STATUSES,
  isOpenAttemptStatus,
  isTerminal,
  OPEN_ATTEMPT_STATUSES,
  PAYMENT_INTENT_TRANSITIONS,
  TERMINAL_ATTEMPT_STATUSES,
} from './state-machine';

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

describe('payment attempt state machine', () => {
  it('has an entry for every attempt status, naming only known statuses', () => {
    expect(Object.keys(ATTEMPT_TRANSITIONS).sort()).toEqual([...ATTEMPT_STATUSES].sort());
    for (const targets of Object.values(ATTEMPT_TRANSITIONS)) for (const to of targets) expect(ATTEMPT_STATUSES).toContain(to);
  });

  it('succeeded, canceled and reversed are terminal', () => {
    for (const from of TERMINAL_ATTEMPT_STATUSES) for (const to of ATTEMPT_STATUSES) expect(canTransitionAttempt(from, to)).toBe(false);
  });

  it('an open attempt reaches an outcome; only an authorization can be captured or canceled at the PSP', () => {
    for (const from of OPEN_ATTEMPT_STATUSES) {
      expect(isOpenAttemptStatus(from)).toBe(true);
      expect(canTransitionAttempt(from, 'failed')).toBe(true);
      expect(canTransitionAttempt(from, 'succeeded')).toBe(true);
      expect(canTransitionAttempt(from, 'capturing')).toBe(false);
    }
    expect(canTransitionAttempt('authorized', 'capturing')).toBe(true);
    expect(canTransitionAttempt('authorized', 'succeeded')).toBe(false); // only through a capture claim
    expect(canTransitionAttempt('pending', 'canceling')).toBe(false); // a cancel waits for an attempt at the PSP
  });

  it('a claim either records the outcome or gives the attempt back', () => {
    expect(canTransitionAttempt('capturing', 'succeeded')).toBe(true);
    expect(canTransitionAttempt('capturing', 'authorized')).toBe(true);
    expect(canTransitionAttempt('canceling', 'canceled')).toBe(true);
    expect(canTransitionAttempt('canceling', 'authorized')).toBe(true);
    expect(canTransitionAttempt('canceling', 'requires_action')).toBe(true);
    expect(canTransitionAttempt('canceling', 'succeeded')).toBe(false);
  });

  it('owed money is given back or found not held; a failed attempt becomes owed, or booked when the PSP charged it', () => {
    // succeeded: reconciliation found the charge and the merchant accepts late successes
    expect([...ATTEMPT_TRANSITIONS.failed].sort()).toEqual(['reversal_pending', 'succeeded']);
    expect(canTransitionAttempt('reversal_pending', 'succeeded')).toBe(false); // once owed back, never booked
    expect([...ATTEMPT_TRANSITIONS.reversal_pending].sort()).toEqual(['failed', 'reversed']);
  });

  it('random walks through the table never leave a terminal state and never go back to pending (property)', () => {
    const status = fc.constantFrom(...ATTEMPT_STATUSES);
    fc.assert(
      fc.property(status, fc.array(status, { maxLength: 30 }), (start, tries) => {
        let current = start;
        for (const to of tries) {
          if (!canTransitionAttempt(current, to)) continue;
          expect(TERMINAL_ATTEMPT_STATUSES).not.toContain(current);
          // nothing is ever sent again for an attempt: once it left pending it never returns
          expect(to).not.toBe('pending');
          current = to;
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('refund state machine', () => {
  it('has an entry for every refund status; only pending moves', () => {
    expect(Object.keys(REFUND_TRANSITIONS).sort()).toEqual([...REFUND_STATUSES].sort());
    expect(isPendingRefund({ status: 'pending' })).toBe(true);
    for (const from of TERMINAL_REFUND_STATUSES) {
      expect(isPendingRefund({ status: from })).toBe(false);
      for (const to of REFUND_STATUSES) expect(canTransitionRefund(from, to)).toBe(false);
    }
    expect(canTransitionRefund('pending', 'succeeded')).toBe(true);
    expect(canTransitionRefund('pending', 'failed')).toBe(true);
  });

  it('random sequences of PSP answers never move a refund out of its outcome (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...REFUND_STATUSES), { maxLength: 20 }), (answers) => {
        let current: (typeof REFUND_STATUSES)[number] = 'pending';
        let outcome: string | null = null;
        for (const to of answers) {
          if (canTransitionRefund(current, to)) current = to;
          if (outcome) expect(current).toBe(outcome);
          if (current !== 'pending') outcome = current;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('PaymentIntent state machine (property)', () => {
  it('random walks never leave succeeded or canceled', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PAYMENT_INTENT_STATUSES), { maxLength: 30 }), (tries) => {
        let current: (typeof PAYMENT_INTENT_STATUSES)[number] = 'requires_payment_method';
        let terminal: string | null = null;
        for (const to of tries) {
          if (canTransition(current, to)) current = to;
          if (terminal) expect(current).toBe(terminal);
          if (isTerminal(current)) terminal = current;
        }
      }),
      { numRuns: 300 },
    );
  });
});
