/**
 * The one place that decides whether a failed connection may have reached a PSP. Every adapter
 * (sandbox card network, Stripe, Daraja) asks here, so "the request never left, failing over or
 * re-sending is safe" means the same thing for every payment method.
 */

/**
 * Error codes of a connection that never opened: DNS found no host, the host refused or was
 * unreachable, or the TCP connect itself timed out (undici's connect timeout fires before any byte
 * of the request is written). A PSP cannot have seen such a request. Anything else (a reset, a
 * read timeout, a socket closed mid-response) may have arrived.
 */
export const NOT_CONNECTED_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A Node or undici error code (ECONNRESET, UND_ERR_CONNECT_TIMEOUT), not a PSP's own error code. */
const SYSTEM_CODE = /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/;

/**
 * The system error code behind a failed request, following `cause` (fetch) and `detail` (the
 * Stripe SDK's connection errors) a few levels down.
 */
export function networkErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && SYSTEM_CODE.test(code)) return code;
    e = (e as { detail?: unknown }).detail ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** true: the request cannot have reached the PSP (the connection never opened). */
export function requestNeverLeft(code: string | undefined): boolean {
  return code !== undefined && NOT_CONNECTED_CODES.has(code);
}
