/**
 * One error type with a closed set of codes. Each code maps to an HTTP status and a
 * Stripe-style API error `type`. Anything that is not an AppError becomes a generic 500.
 */
export const ERROR_CODES = {
  // 400
  parameter_invalid: { status: 400, type: 'invalid_request_error' },
  parameter_missing: { status: 400, type: 'invalid_request_error' },
  parameter_unknown: { status: 400, type: 'invalid_request_error' },
  amount_too_small: { status: 400, type: 'invalid_request_error' },
  amount_too_large: { status: 400, type: 'invalid_request_error' },
  currency_unsupported: { status: 400, type: 'invalid_request_error' },
  body_invalid_json: { status: 400, type: 'invalid_request_error' },
  payment_intent_unexpected_state: { status: 400, type: 'invalid_request_error' },
  checkout_session_unexpected_state: { status: 400, type: 'invalid_request_error' },
  payment_method_unexpected_state: { status: 400, type: 'invalid_request_error' },
  payment_method_invalid: { status: 400, type: 'invalid_request_error' },
  token_already_used: { status: 400, type: 'invalid_request_error' },
  refund_not_supported: { status: 400, type: 'invalid_request_error' },
  /** Stripe's code for a refund the merchant's balance cannot cover. */
  balance_insufficient: { status: 400, type: 'invalid_request_error' },
  idempotency_key_reused: { status: 400, type: 'idempotency_error' },
  idempotency_key_invalid: { status: 400, type: 'idempotency_error' },
  // 401
  api_key_missing: { status: 401, type: 'authentication_error' },
  api_key_invalid: { status: 401, type: 'authentication_error' },
  // 402
  card_declined: { status: 402, type: 'card_error' },
  payment_blocked: { status: 402, type: 'card_error' },
  authentication_failed: { status: 402, type: 'card_error' },
  /** An off-session charge of a saved card the issuer wants authenticated: bring the customer back. */
  authentication_required: { status: 402, type: 'card_error' },
  insufficient_balance: { status: 402, type: 'invalid_request_error' },
  // 403
  forbidden: { status: 403, type: 'invalid_request_error' },
  // 404
  resource_missing: { status: 404, type: 'invalid_request_error' },
  route_not_found: { status: 404, type: 'invalid_request_error' },
  // 405
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  // 409
  idempotency_key_in_use: { status: 409, type: 'idempotency_error' },
  payment_in_progress: { status: 409, type: 'invalid_request_error' },
  already_reversed: { status: 409, type: 'invalid_request_error' },
  lock_timeout: { status: 409, type: 'invalid_request_error' },
  // 429
  rate_limited: { status: 429, type: 'rate_limit_error' },
  /** Stripe's code for too many API requests (429 with Retry-After; the SDKs retry it). */
  rate_limit: { status: 429, type: 'invalid_request_error' },
  // 5xx
  psp_unavailable: { status: 502, type: 'api_error' },
  internal_error: { status: 500, type: 'api_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AppErrorOptions {
  param?: string;
  declineCode?: string;
  cause?: unknown;
  /**
   * A conflict with a request in flight (409) rather than a request that can never succeed in
   * this state (the code's usual 400): e.g. a cancel while the payment is at the PSP.
   */
  conflict?: boolean;
  /** The payment intent a card error belongs to, as the API shows it (Stripe puts it inside the error). */
  paymentIntent?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly param: string | undefined;
  readonly declineCode: string | undefined;
  readonly conflict: boolean;
  readonly paymentIntent: unknown;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.param = options.param;
    this.declineCode = options.declineCode;
    this.conflict = options.conflict ?? false;
    this.paymentIntent = options.paymentIntent;
  }

  get status(): number {
    return this.conflict ? 409 : ERROR_CODES[this.code].status;
  }

  get type(): string {
    return ERROR_CODES[this.code].type;
  }
}

/** Stripe's error object: `payment_intent` rides along on card errors, `doc_url` where Stripe documents the code. */
export interface ApiErrorBody {
  error: {
    type: string;
    code: string;
    message: string;
    param?: string;
    decline_code?: string;
    doc_url?: string;
    payment_intent?: unknown;
  };
}

/** Our codes that are also Stripe's documented error codes (https://docs.stripe.com/error-codes): those get a doc_url. */
const STRIPE_DOCUMENTED_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'parameter_missing',
  'parameter_unknown',
  'amount_too_small',
  'amount_too_large',
  'payment_intent_unexpected_state',
  'token_already_used',
  'card_declined',
  'resource_missing',
  'idempotency_key_in_use',
  'rate_limit',
]);

export function errorDocUrl(code: ErrorCode): string | undefined {
  return STRIPE_DOCUMENTED_CODES.has(code) ? `https://docs.stripe.com/error-codes/${code.replaceAll('_', '-')}` : undefined;
}

export function toApiErrorBody(err: AppError): ApiErrorBody {
  const docUrl = errorDocUrl(err.code);
  return {
    error: {
      type: err.type,
      code: err.code,
      message: err.message,
      ...(err.param ? { param: err.param } : {}),
      ...(err.declineCode ? { decline_code: err.declineCode } : {}),
      ...(docUrl ? { doc_url: docUrl } : {}),
      ...(err.paymentIntent !== undefined ? { payment_intent: err.paymentIntent } : {}),
    },
  };
}

/** Converts any thrown value to an AppError; unknown errors become a generic 500 and are logged. */
export function normalizeError(err: unknown, log: (msg: string, e: unknown) => void = logUnknownError): AppError {
  if (err instanceof AppError) return err;
  log('unhandled error', err);
  return new AppError('internal_error', 'An unexpected error occurred. It has been logged.');
}

function logUnknownError(msg: string, e: unknown): void {
  console.error(`[error] ${msg}:`, e instanceof Error ? (e.stack ?? e.message) : e);
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant violated: ${message}`);
}
