import type { RefundStatus } from '@/db/schema';

/**
 * The one table of allowed refund transitions. A refund is pending until its PSP answers; a
 * pending answer may still record the PSP's reference (pending -> pending). succeeded and failed
 * are terminal: a later, older message from the PSP never moves them.
 */
export const REFUND_TRANSITIONS: Readonly<Record<RefundStatus, readonly RefundStatus[]>> = {
  pending: ['pending', 'succeeded', 'failed'],
  succeeded: [],
  failed: [],
};

export const TERMINAL_REFUND_STATUSES: readonly RefundStatus[] = ['succeeded', 'failed'];

export function canTransitionRefund(from: RefundStatus, to: RefundStatus): boolean {
  return REFUND_TRANSITIONS[from].includes(to);
}

/** A refund still waiting for its PSP's answer (callbacks and sweeps act only on these). */
export function isPendingRefund(refund: { status: RefundStatus }): boolean {
  return REFUND_TRANSITIONS[refund.status].length > 0;
}
