/**
 * The contract every PSP adapter implements. Adapters talk HTTP to their PSP (the offline
 * sandbox card network, Stripe, Daraja) and translate its answers into these shapes; nothing
 * above this layer knows a PSP's wire format.
 */

export interface CardDetails {
  brand: string;
  last4: string;
  fingerprint: string;
  expMonth: number;
  expYear: number;
}

export interface CardTokenInfo {
  token: string;
  card: CardDetails;
  /** The PSP's own fraud signal for the card ("highest" means never charge it). */
  riskLevel: 'normal' | 'elevated' | 'highest';
  /** true: a single-use token that already paid for something; the PSP refuses to charge it again. */
  used?: boolean;
}

export interface AuthorizeRequest {
  /** Sent as Idempotency-Key on every try, so a retried request can never charge twice. */
  idempotencyKey: string;
  amount: number;
  currency: string;
  token: string;
  /** true: authorize and capture at once; false: hold the authorization for a later capture. */
  capture: boolean;
  /** Where the customer comes back to after a 3-D Secure challenge (none for server-only flows). */
  returnUrl?: string;
  /**
   * The paykit merchant the charge is for. A PSP that binds tokens to a platform sub-merchant
   * (the sandbox's Sandbox-Account, like Stripe-Account) charges only that merchant's tokens.
   * Absent: the platform account itself.
   */
  merchantId?: string;
  /**
   * The merchant charges a saved card without the cardholder present (Stripe's off_session): an
   * issuer that wants 3-D Secure declines (authentication_required) instead of asking.
   */
  offSession?: boolean;
}

/**
 * pending: the PSP accepted the request and the outcome comes later (an M-Pesa prompt the customer
 * has not answered yet); nothing is decided.
 */
export type PspPaymentStatus = 'pending' | 'requires_action' | 'authorized' | 'captured' | 'declined' | 'canceled';

export interface PspPayment {
  pspReference: string;
  status: PspPaymentStatus;
  amount: number;
  amountCaptured: number;
  currency: string;
  card?: CardDetails;
  declineCode?: string;
  declineMessage?: string;
  /** Set when status is requires_action: send the customer here. */
  redirectUrl?: string;
  /**
   * A declined payment's reason in the method's own terms, when it is not a card decline (an
   * M-Pesa result code: the customer cancelled on the phone, a wrong PIN). Card declines use
   * declineCode instead.
   */
  failure?: { code: string; message: string };
}

/**
 * A failure to get an answer from the PSP. `requestSent` tells whether the PSP may have acted
 * (a timeout after sending): such a call must be resolved by a status query, never by failover.
 */
export class PspError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'timeout' | 'server_error' | 'bad_response' | 'rejected',
    message: string,
    readonly requestSent: boolean,
    readonly httpStatus?: number,
    /** For a rejection the domain reacts to specifically, why the PSP refused (in our words, not the PSP's). */
    readonly reason?: PspRejectionReason,
  ) {
    super(message);
    this.name = 'PspError';
  }
}

/**
 * token_already_used: a single-use card token was already charged (by another attempt).
 * rate_limited: the PSP refused to take the request now (Daraja's spike arrest); nothing was sent on.
 * not_supported: the payment method cannot do this at all (see its capabilities).
 */
export type PspRejectionReason = 'token_already_used' | 'rate_limited' | 'not_supported';

export type PspRefundStatus = 'pending' | 'succeeded' | 'failed';

export interface PspRefund {
  pspReference: string;
  /** The PSP's id of the payment refunded. */
  paymentReference: string;
  status: PspRefundStatus;
  amount: number;
  currency: string;
  failureReason?: string;
}

/** What a PSP can do, declared by its adapter and used by routing (skip a PSP that cannot charge). */
export interface PspCapabilities {
  methods: ('card' | 'mpesa')[];
  /** Lower-case ISO 4217 codes the PSP can charge in. */
  currencies: string[];
  /** true: the outcome arrives later (a callback or a status query), never in the charge response. */
  asynchronous: boolean;
  threeDSecure: boolean;
  refunds: boolean;
}

export const NO_CAPABILITIES: PspCapabilities = { methods: [], currencies: [], asynchronous: false, threeDSecure: false, refunds: false };

/**
 * One line of a PSP's settlement report: money the PSP moved (or will move) for us, as the PSP
 * books it. Amounts are signed minor units: a refund or a fee is negative; net = amount + fee line.
 */
export interface SettlementLine {
  /** The PSP's id of this line (a balance transaction, a payment or a refund). */
  pspReference: string;
  type: 'charge' | 'refund' | 'fee' | 'payout';
  /** Gross amount, signed (refunds and payouts negative). */
  amountMinor: number;
  /** The PSP's fee on this line, as a positive number taken off the gross (0 when none). */
  feeMinor: number;
  /** amountMinor - feeMinor: what the line adds to (or takes from) our balance at the PSP. */
  netMinor: number;
  currency: string;
  /** The PSP's id of the payment a charge or refund belongs to. */
  paymentReference?: string;
  /** When the funds become available (settle). */
  availableOn: Date;
}

/** A half-open window [from, to) of the PSP's booking time. */
export interface SettlementRange {
  from: Date;
  to: Date;
}

/**
 * One line of a PSP's daily settlement file (the acquirer's CSV, Stripe's balance transactions,
 * M-Pesa's pulled transactions), as reconciliation stages it. Amounts are signed minor units: a
 * refund's gross and net are negative; the fee is what the PSP kept (net = gross - fee).
 */
export interface ReportLine {
  /** The PSP's id of this line: a line seen twice is a duplicate at the PSP. */
  lineId: string;
  type: 'charge' | 'refund' | 'chargeback' | 'fee_adjustment';
  /** The PSP's id of our attempt (charge) or refund (the M-Pesa receipt number). */
  pspReference: string | null;
  /** Our idempotency key as the PSP knows it (the merchant reference), when the PSP echoes it. */
  merchantReference: string | null;
  grossMinor: number;
  feeMinor: number;
  netMinor: number;
  /** Lower-case ISO 4217. */
  currency: string;
  bookedAt: Date;
  /** When the PSP makes the funds available (pays them out). */
  availableOn: Date;
  payoutBatchId: string | null;
  /** The payer's phone, for mobile money (matched with the receipt number). */
  phone?: string | null;
}

/** A day's settlement file: the lines, streamed, and whether the day is over (final). */
export interface SettlementFile {
  lines: AsyncIterable<ReportLine>;
  complete: boolean;
}

/** What the PSP charges us per line, by contract: the fee reconciliation expects on a charge. */
export interface PspFeeSchedule {
  percentBps: number;
  fixedMinor: number;
}

export interface CardPspAdapter {
  readonly name: string;
  /**
   * What this PSP can do. Optional only so hand-written test doubles need not declare it; every
   * real adapter does, and a missing one counts as "can do nothing" (NO_CAPABILITIES).
   */
  readonly capabilities?: PspCapabilities;
  /** The PSP's settlement lines booked in the window (a missing implementation means "no report"). */
  settlementReport?(range: SettlementRange): Promise<SettlementLine[]>;
  /** The PSP's settlement file for one UTC day (YYYY-MM-DD), streamed; never loaded whole. */
  settlementFile?(date: string): Promise<SettlementFile>;
  /** The fee the PSP charges by contract (reconciliation flags a line that differs). */
  readonly feeSchedule?: PspFeeSchedule;
  /** The card behind a token, as `merchantId` may see it (another merchant's token is "no such token"). */
  retrieveCardToken(token: string, merchantId?: string): Promise<CardTokenInfo>;
  /**
   * Saves a card for later charges: exchanges a single-use token for the PSP's reusable card on
   * file, bound to the same merchant. Safe to retry with the same idempotency key. Absent: this
   * PSP cannot save cards.
   */
  saveCard?(token: string, merchantId: string, idempotencyKey: string): Promise<CardTokenInfo>;
  authorize(request: AuthorizeRequest): Promise<PspPayment>;
  retrieve(pspReference: string): Promise<PspPayment>;
  capture(pspReference: string, amount: number, idempotencyKey: string): Promise<PspPayment>;
  cancel(pspReference: string, idempotencyKey: string): Promise<PspPayment>;
  /** Refunds part or all of a captured payment; the idempotency key makes a retry refund once. */
  refund(pspReference: string, amount: number, idempotencyKey: string): Promise<PspRefund>;
  retrieveRefund(refundReference: string): Promise<PspRefund>;
}

// --- The one door for every payment method ---

export type PaymentMethodType = PspCapabilities['methods'][number];

/** What a payment method can do beyond its PSP's declared capabilities: which later calls exist. */
export interface PaymentMethodCapabilities extends PspCapabilities {
  /** Can hold an authorization and capture it later (capture_method=manual). */
  manualCapture: boolean;
  /** Can cancel (void) a payment at the PSP: an abandoned or unwanted one is stopped there. */
  cancel: boolean;
}

/**
 * The customer's payment method as the PSP knows it, read before any attempt exists: what the
 * attempt records, what risk checks, and what begin sends.
 */
export interface PaymentMethodDetails {
  type: PaymentMethodType;
  /** What begin charges: the card token, or the normalized MSISDN (2547XXXXXXXX) for M-Pesa. */
  reference: string;
  card?: CardDetails;
  /** The payer's phone (mobile money): risk counts attempts per phone. */
  phone?: string;
  /** The PSP's own fraud signal, when it has one. */
  riskLevel: CardTokenInfo['riskLevel'] | null;
  /** true: a single-use token that already paid for something; begin would be refused. */
  used?: boolean;
}

export interface BeginRequest {
  attemptId: string;
  /** The attempt's PSP idempotency key: every try of begin carries it (where the PSP has one). */
  idempotencyKey: string;
  amount: number;
  currency: string;
  paymentMethod: PaymentMethodDetails;
  /** true: charge at once; false: hold the authorization for a later capture. */
  capture: boolean;
  returnUrl?: string;
  merchantId: string;
  /** A saved card charged without the cardholder (off_session). */
  offSession?: boolean;
  /** Shown to the customer where the method shows a payee (the M-Pesa prompt's account reference). */
  merchantName: string;
}

/** An attempt as an adapter needs it to ask its PSP again. */
export interface AttemptAtPsp {
  id: string;
  merchantId: string;
  amount: number;
  currency: string;
  pspIdempotencyKey: string;
  pspReference: string | null;
  paymentMethodToken: string | null;
  returnUrl?: string;
  capture: boolean;
  /** The attempt was begun off session: a re-sent authorize must say so too (same request). */
  offSession?: boolean;
}

/** What a callback from the PSP says, before anyone believes it (the adapter's resolve decides). */
export interface CallbackHint {
  /** The PSP's id of the payment the callback is about. */
  pspReference?: string;
  /** The idempotency key we sent: finds an attempt whose PSP reference is not stored yet. */
  idempotencyKey?: string;
  /** What the callback claims happened; only decides whether asking the PSP is worth it. */
  claimed?: PspPaymentStatus;
  /** The receipt the callback names (M-Pesa), kept once the PSP confirms the payment. */
  receiptNumber?: string;
}

/** The words a customer reads when the PSP could not be asked, per method ("the card network", "M-Pesa"). */
export interface PaymentMethodWording {
  /** Nothing was sent: stored on the attempt. */
  notSent: string;
  /** Nothing was sent: the intent's last error, which the customer reads on the pay page. */
  notSentRetry: string;
  /** Nothing was sent: the error the caller gets. */
  notSentError: string;
  /** The PSP refused for load (rate_limited). */
  busy: string;
  /** The request may have arrived: the payment is processing. */
  unknown: string;
  /** A deadline passed and the PSP never confirmed the payment. */
  unresolved: string;
}

/**
 * Every payment method (card via the sandbox network or Stripe, M-Pesa via Daraja, the next one)
 * implements this, in lib/psp/<name>/, and is listed once in the registry (lib/psp/registry.ts).
 * lib/payments calls only this and the router; it never asks which method it is.
 *
 * Every state-changing call is safe to repeat: it carries the attempt's (or refund's) idempotency
 * key where the PSP has one, and the adapter re-sends only what the PSP cannot have acted on
 * where it has none (Daraja's STK push).
 */
export interface PaymentMethodAdapter {
  /** The `psp` of attempts and refunds made through it. */
  readonly name: string;
  readonly capabilities: PaymentMethodCapabilities;
  /** The suffix of an attempt's PSP idempotency key for begin (`<attempt>:authorize`). */
  readonly beginKey: string;
  readonly wording: PaymentMethodWording;
  /**
   * Reads the customer's payment method (a card token, a phone number). A PspError "rejected" means
   * no such payment method; an AppError explains invalid input. Nothing is charged.
   */
  readPaymentMethod(paymentMethod: string, merchantId: string): Promise<PaymentMethodDetails>;
  /**
   * Saves the payment method for reuse (a card token becomes a card on file at the PSP) and
   * returns it as the PSP now describes it. Absent: this method cannot be saved.
   */
  savePaymentMethod?(reference: string, merchantId: string, idempotencyKey: string): Promise<PaymentMethodDetails>;
  /**
   * Checks a payment can go this way at all (currency, capture method), before any attempt is
   * recorded; throws an AppError that says why not.
   */
  assertCanCharge(payment: { amount: number; currency: string; capture: boolean }): void;
  /**
   * Records what only this method keeps about an attempt (M-Pesa's phone and request ids), in the
   * transaction that records the attempt.
   */
  recordAttempt?(tx: import('@/db/client').Tx, attempt: { id: string; merchantId: string; amount: number }, method: PaymentMethodDetails): Promise<void>;
  /** Authorize a card (or redirect to 3-D Secure), push an M-Pesa prompt. */
  begin(request: BeginRequest): Promise<PspPayment>;
  /**
   * The PSP's current answer about an attempt (retrieve; re-sending the card authorize with its
   * idempotency key, which is a read; an STK query). null: there is nothing to ask about.
   */
  resolve(attempt: AttemptAtPsp, hint?: CallbackHint): Promise<PspPayment | null>;
  capture(pspReference: string, amount: number, idempotencyKey: string): Promise<PspPayment>;
  cancel(pspReference: string, idempotencyKey: string): Promise<PspPayment>;
  /**
   * Refunds part or all of a payment. The answer may be final or pending (an asynchronous refund,
   * such as an M-Pesa reversal whose result arrives by callback): a pending refund is asked again
   * with retrieveRefund, or settled by the PSP's callback.
   */
  refund(pspReference: string, amount: number, idempotencyKey: string): Promise<PspRefund>;
  /**
   * Checks a refund can go this way at all (the method's amount rules), before anything is
   * reserved or recorded; throws an AppError that says why not.
   */
  assertCanRefund?(refund: { amount: number; currency: string; amountCaptured: number }): void;
  retrieveRefund(refundReference: string): Promise<PspRefund>;
  settlementReport(range: SettlementRange): Promise<SettlementLine[]>;
  /**
   * The PSP's settlement file for one UTC day (YYYY-MM-DD), streamed line by line for
   * reconciliation. A PspError "rejected" with not_supported: this method has no such report.
   * `now` is the run's clock, for a PSP whose file is a live query (M-Pesa: the day is final once over).
   */
  settlementFile(date: string, now?: Date): Promise<SettlementFile>;
  /** The fee the PSP charges per charge line by contract; reconciliation flags a line that differs. */
  readonly pspFeeSchedule: PspFeeSchedule;
  /**
   * Reads a stored (already verified) callback body into a hint about a payment; null when the
   * callback is about something else (a refund, a dispute). Never trusted on its own: resolve asks.
   */
  parseCallback(rawBody: string): CallbackHint | null;
}

/** A call the method cannot make at all (capabilities say so): refused before anything is sent. */
export function notSupported(name: string, what: string): Promise<never> {
  return Promise.reject(new PspError('rejected', `${name}: ${what} is not supported`, false, undefined, 'not_supported'));
}
