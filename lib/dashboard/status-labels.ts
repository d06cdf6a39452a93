import type { PaymentIntentStatus } from '@/db/schema';

export type StatusTone = 'good' | 'bad' | 'warn' | 'neutral';

export interface DisplayStatus {
  /** Stable key (tests, filters, CSS). */
  key:
    | 'succeeded'
    | 'partially_refunded'
    | 'refunded'
    | 'disputed'
    | 'uncaptured'
    | 'processing'
    | 'blocked'
    | 'declined'
    | 'incomplete'
    | 'requires_action'
    | 'canceled';
  label: string;
  /** One sentence a merchant reads to know what happened and what, if anything, to do. */
  meaning: string;
  tone: StatusTone;
}

export interface PaymentStatusFacts {
  status: PaymentIntentStatus;
  amountReceived: number;
  amountRefunded: number;
  /** The PSP status of the payment's newest dispute, if any (e.g. needs_response, won, lost). */
  disputeStatus: string | null;
  /** The newest attempt was blocked by the risk rules. */
  blockedByRisk: boolean;
  /** Attempts the PSP or issuer declined. */
  failedAttempts: number;
}

const MEANINGS: Record<DisplayStatus['key'], Omit<DisplayStatus, 'key'>> = {
  succeeded: { label: 'Succeeded', meaning: 'The money was captured and is on its way to your balance.', tone: 'good' },
  partially_refunded: {
    label: 'Partially refunded',
    meaning: 'Part of the captured amount was given back to the customer.',
    tone: 'warn',
  },
  refunded: { label: 'Refunded', meaning: 'The whole captured amount was given back to the customer.', tone: 'neutral' },
  disputed: {
    label: 'Disputed',
    meaning: 'The customer’s bank opened a chargeback; respond before the deadline in your PSP.',
    tone: 'bad',
  },
  uncaptured: {
    label: 'Uncaptured',
    meaning: 'The card is authorized; capture it to take the money or cancel to release it.',
    tone: 'warn',
  },
  processing: {
    label: 'Processing',
    meaning: 'The PSP has not confirmed the outcome yet (for example an M-Pesa prompt on the phone).',
    tone: 'warn',
  },
  blocked: { label: 'Blocked by risk', meaning: 'Your risk rules stopped the attempt before the card was charged.', tone: 'bad' },
  declined: {
    label: 'Declined',
    meaning: 'The issuer or PSP declined every attempt so far; the customer may still retry.',
    tone: 'bad',
  },
  incomplete: { label: 'Incomplete', meaning: 'The customer has not finished paying; nothing was charged.', tone: 'neutral' },
  requires_action: {
    label: 'Waiting for customer',
    meaning: 'The customer must complete a verification step such as 3-D Secure.',
    tone: 'warn',
  },
  canceled: { label: 'Canceled', meaning: 'The payment was canceled; any hold on the card was released.', tone: 'neutral' },
};

/** Disputes still open at the PSP (Stripe's statuses); won and lost ones are history. */
const OPEN_DISPUTE = new Set(['warning_needs_response', 'warning_under_review', 'needs_response', 'under_review']);

export function isOpenDispute(status: string): boolean {
  return OPEN_DISPUTE.has(status);
}

function keyOf(f: PaymentStatusFacts): DisplayStatus['key'] {
  switch (f.status) {
    case 'succeeded':
      if (f.disputeStatus && (isOpenDispute(f.disputeStatus) || f.disputeStatus === 'lost')) return 'disputed';
      if (f.amountRefunded > 0 && f.amountRefunded >= f.amountReceived) return 'refunded';
      if (f.amountRefunded > 0) return 'partially_refunded';
      return 'succeeded';
    case 'requires_capture':
      return 'uncaptured';
    case 'processing':
      return 'processing';
    case 'requires_action':
      return 'requires_action';
    case 'canceled':
      return 'canceled';
    case 'requires_payment_method':
    case 'requires_confirmation':
      if (f.blockedByRisk) return 'blocked';
      if (f.failedAttempts > 0) return 'declined';
      return 'incomplete';
  }
}

/** The label a merchant sees for a payment, derived from its state, refunds, disputes and attempts. */
export function paymentDisplayStatus(facts: PaymentStatusFacts): DisplayStatus {
  const key = keyOf(facts);
  return { key, ...MEANINGS[key] };
}

/** Every label with its meaning, in the order the legend lists them. */
export const STATUS_LEGEND: DisplayStatus[] = (Object.keys(MEANINGS) as DisplayStatus['key'][]).map((key) => ({
  key,
  ...MEANINGS[key],
}));
