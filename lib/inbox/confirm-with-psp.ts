import type { AttemptStatus, PaymentAttempt, Refund } from '@/db/schema';
import { env } from '@/lib/env';
import { applyPspPayment, isOpenAttempt } from '@/lib/payments/apply-psp-result';
import { resolveAttempt } from '@/lib/payments/confirm';
import { getPspByName } from '@/lib/psp';
import type { PspPaymentStatus } from '@/lib/psp/types';
import { applyRefundOutcome, sendRefundToPsp } from '@/lib/refunds';
import { decideCallbackAction, type CallbackAction } from './callback-rule';

/**
 * A card callback (sandbox network or Stripe) is a hint, as an M-Pesa one is: its body, even
 * correctly signed, only tells us that something may have changed. What is applied is what the
 * PSP answers when we ask it (adapter retrieve over HTTP), so whoever can sign a callback still
 * cannot mark a payment paid.
 *
 * - 'unconfirmed': the PSP does not confirm the claim (nothing changed there yet); the attempt
 *   is left as it is, and its polling keeps asking.
 */
export type HintOutcome = CallbackAction | 'unconfirmed';

export interface ConfirmedHint {
  outcome: HintOutcome;
  attempt: { paymentIntentId: string; attemptId: string; status: AttemptStatus };
}

function summary(attempt: PaymentAttempt): ConfirmedHint['attempt'] {
  return { paymentIntentId: attempt.paymentIntentId, attemptId: attempt.id, status: attempt.status };
}

/**
 * Asks the attempt's PSP about a callback's claim and applies the PSP's answer. The claim only
 * decides whether asking is worth it (decideCallbackAction: news for a live attempt); the
 * answer then goes through the same rule and applyPspPayment, which re-checks under the
 * intent's row lock. Safe to run twice: a retrieve is a read, and applyPspPayment moves an
 * attempt out of pending/requires_action once.
 */
export async function confirmAttemptWithPsp(attempt: PaymentAttempt, claimed: PspPaymentStatus): Promise<ConfirmedHint> {
  const hint = decideCallbackAction(attempt.status, claimed);
  if (hint !== 'apply') return { outcome: hint, attempt: summary(attempt) };
  if (!attempt.pspReference) {
    // The callback beat the PSP's synchronous answer. The poll's own path asks with the
    // attempt's Idempotency-Key (a read at the PSP, which already has that payment); the
    // reference the callback names is never trusted to belong to this attempt.
    const resolved = await resolveAttempt(attempt.id);
    return { outcome: isOpenAttempt(resolved.attempt) ? 'unconfirmed' : 'apply', attempt: summary(resolved.attempt) };
  }
  const truth = await getPspByName(attempt.psp).retrieve(attempt.pspReference);
  const action = decideCallbackAction(attempt.status, truth.status);
  if (action === 'stale') return { outcome: 'unconfirmed', attempt: summary(attempt) };
  if (action !== 'apply') return { outcome: action, attempt: summary(attempt) };
  const applied = await applyPspPayment(attempt.id, truth, env().APP_URL);
  return { outcome: 'apply', attempt: summary(applied.attempt) };
}

/**
 * A refund callback, the same way: the refund's state is what the PSP answers for it. Without a
 * PSP reference yet, the refund is re-sent with its own Idempotency-Key, which the PSP answers
 * with the refund it already has (sendRefundToPsp). Safe to run twice: applyRefundOutcome only
 * moves a pending refund.
 */
export async function confirmRefundWithPsp(refund: Refund): Promise<'apply' | 'stale' | 'unconfirmed'> {
  if (refund.status !== 'pending') return 'stale';
  if (!refund.pspReference) {
    const sent = await sendRefundToPsp(refund.id);
    return sent.status === 'pending' ? 'unconfirmed' : 'apply';
  }
  const truth = await getPspByName(refund.psp).retrieveRefund(refund.pspReference);
  if (truth.status === 'pending') return 'unconfirmed';
  const applied = await applyRefundOutcome(refund.id, truth);
  return applied.status === 'pending' ? 'unconfirmed' : 'apply';
}
