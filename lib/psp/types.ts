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
}

export type PspPaymentStatus = 'requires_action' | 'authorized' | 'captured' | 'declined' | 'canceled';

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

/** token_already_used: a single-use card token was already charged (by another attempt). */
export type PspRejectionReason = 'token_already_used';

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

export interface CardPspAdapter {
  readonly name: string;
  /**
   * What this PSP can do. Optional only so hand-written test doubles need not declare it; every
   * real adapter does, and a missing one counts as "can do nothing" (NO_CAPABILITIES).
   */
  readonly capabilities?: PspCapabilities;
  /** The PSP's settlement lines booked in the window (a missing implementation means "no report"). */
  settlementReport?(range: SettlementRange): Promise<SettlementLine[]>;
  /** The card behind a token, as `merchantId` may see it (another merchant's token is "no such token"). */
  retrieveCardToken(token: string, merchantId?: string): Promise<CardTokenInfo>;
  authorize(request: AuthorizeRequest): Promise<PspPayment>;
  retrieve(pspReference: string): Promise<PspPayment>;
  capture(pspReference: string, amount: number, idempotencyKey: string): Promise<PspPayment>;
  cancel(pspReference: string, idempotencyKey: string): Promise<PspPayment>;
  /** Refunds part or all of a captured payment; the idempotency key makes a retry refund once. */
  refund(pspReference: string, amount: number, idempotencyKey: string): Promise<PspRefund>;
  retrieveRefund(refundReference: string): Promise<PspRefund>;
}
