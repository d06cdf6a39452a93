/**
 * The sandbox is its own PSP with its own wire format (Stripe-like), so it has its own error type
 * rather than the platform's AppError: its codes (incorrect_number, invalid_cvc...) are the
 * network's vocabulary, not ours.
 */
export type SandboxErrorType =
  'card_error' | 'invalid_request_error' | 'authentication_error' | 'idempotency_error' | 'api_error';

export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly type: SandboxErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

export function cardError(code: string, message: string, param: string): SandboxError {
  return new SandboxError(402, 'card_error', code, message, param);
}

export function invalidRequest(code: string, message: string, param?: string): SandboxError {
  return new SandboxError(400, 'invalid_request_error', code, message, param);
}

export function notFound(what: string, id: string): SandboxError {
  return new SandboxError(404, 'invalid_request_error', 'resource_missing', `No such ${what}: '${id}'`, 'id');
}

/** The network's own assertions: a broken invariant is a bug in the simulator, never a card error. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant violated: ${message}`);
}
