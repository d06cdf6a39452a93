/**
 * The one Stripe API version whose wire format /v1 follows: the version the official `stripe`
 * npm SDK we test against (package.json) pins by default. Objects, errors and parameters are
 * shaped as that version documents them; we do not emulate older versions' differences.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive';

/**
 * The `Stripe-Version` an answer carries: the one the caller asked for (echoed, as Stripe does,
 * so SDKs that compare it are satisfied) or, without one, the version we follow. Only a
 * well-formed value is echoed (YYYY-MM-DD with an optional `.name`), never arbitrary header text.
 */
export function responseStripeVersion(requested: string | null): string {
  const value = requested?.trim() ?? '';
  return /^\d{4}-\d{2}-\d{2}(?:\.[a-z]{1,40})?$/.test(value) ? value : STRIPE_API_VERSION;
}
