import type { AttemptStatus } from '@/db/schema';
import type { PspPaymentStatus } from '@/lib/psp/types';

/**
 * What a PSP callback may do to our attempt. Callbacks arrive late, twice and out of order, so
 * the rule only ever moves an attempt forward, and leaves to its owner what another flow started.
 * It is asked twice (confirm-with-psp.ts): about the callback's claim, to decide whether the PSP
 * is worth asking, and about the PSP's answer, which is the only status ever applied:
 *
 * - attempt pending / requires_action (we know nothing newer than "authenticating"): any
 *   callback status except canceled is at least as new as what we know -> apply it through the
 *   state machine (applyPspPayment). A requires_action callback for a requires_action attempt
 *   is no news -> stale.
 * - canceled: only our own cancel flow cancels at the PSP, and it records the cancellation
 *   itself after the PSP answers; applying the callback first would fail the attempt and emit a
 *   payment_failed event in between -> left to the cancel flow.
 * - attempt authorized + captured: the capture flow captured it and records it (with the
 *   captured amount) in its own transaction -> left to the capture flow.
 * - attempt authorized + requires_action / authorized: older or equal news -> stale, no-op.
 * - attempt failed + authorized / captured: the PSP may hold money we gave up on (a deadline
 *   passed while it still waited for the customer) -> apply: applyPspPayment never revives the
 *   attempt; it books the money as owed back and voids or refunds it at the PSP (late-success.ts).
 * - attempt succeeded / failed / canceled otherwise: terminal, nothing may regress it -> stale.
 */
export type CallbackAction = 'apply' | 'stale' | 'left_to_capture_flow' | 'left_to_cancel_flow';

export function decideCallbackAction(attempt: AttemptStatus, psp: PspPaymentStatus): CallbackAction {
  const live = attempt === 'pending' || attempt === 'requires_action';
  if (psp === 'canceled') return live || attempt === 'authorized' ? 'left_to_cancel_flow' : 'stale';
  if (attempt === 'requires_action' && psp === 'requires_action') return 'stale';
  if (live) return 'apply';
  if (attempt === 'authorized' && psp === 'captured') return 'left_to_capture_flow';
  if (attempt === 'failed' && (psp === 'authorized' || psp === 'captured')) return 'apply';
  return 'stale';
}
