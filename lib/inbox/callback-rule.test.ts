import { describe, expect, it } from 'vitest';
import type { PspPaymentStatus } from '@/lib/psp/types';
import { decideCallbackAction } from './callback-rule';

const PSP_STATUSES: PspPaymentStatus[] = ['requires_action', 'authorized', 'captured', 'declined', 'canceled'];

describe('decideCallbackAction', () => {
  it('applies news about an attempt we still wait on, except a cancellation', () => {
    expect(PSP_STATUSES.map((psp) => decideCallbackAction('pending', psp))).toEqual(['apply', 'apply', 'apply', 'apply', 'left_to_cancel_flow']);
    expect(PSP_STATUSES.map((psp) => decideCallbackAction('requires_action', psp))).toEqual(['stale', 'apply', 'apply', 'apply', 'left_to_cancel_flow']);
  });

  it('leaves a capture or cancellation of a held authorization to the flow that made it', () => {
    expect(decideCallbackAction('authorized', 'captured')).toBe('left_to_capture_flow');
    expect(decideCallbackAction('authorized', 'canceled')).toBe('left_to_cancel_flow');
    expect(decideCallbackAction('authorized', 'authorized')).toBe('stale');
    expect(decideCallbackAction('authorized', 'requires_action')).toBe('stale');
  });

  it('never touches a terminal attempt, whatever arrives', () => {
    for (const attempt of ['succeeded', 'canceled'] as const) {
      for (const psp of PSP_STATUSES) expect(decideCallbackAction(attempt, psp)).toBe('stale');
    }
    expect(['requires_action', 'declined', 'canceled'].map((psp) => decideCallbackAction('failed', psp as PspPaymentStatus))).toEqual(['stale', 'stale', 'stale']);
  });

  it('sends money the PSP holds for an attempt we failed to the state machine, which gives it back', () => {
    expect(decideCallbackAction('failed', 'authorized')).toBe('apply');
    expect(decideCallbackAction('failed', 'captured')).toBe('apply');
  });
});
