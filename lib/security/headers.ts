/**
 * The security headers of our own responses, decided per request by proxy.ts. Headers that never
 * vary (X-Frame-Options, X-Content-Type-Options, Referrer-Policy) come from next.config.mjs for
 * every path, static files included; what depends on the route or on the scheme comes from here.
 * Nothing here depends on request headers a client controls.
 */

/**
 * Every page: nobody may frame it (clickjacking of the dashboard, login, signup), no plugins, no
 * <base> pointing elsewhere.
 * Scripts are not restricted here: only the pay page renders dynamically with a nonce (its own
 * policy, lib/checkout/pay.ts), the other pages are prerendered and could not carry one.
 */
export const PAGE_CSP = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

/**
 * The sandbox bank's 3-D Secure challenge: the pay page runs it in a frame of its own page, so the
 * card fields stay in that page's memory through the challenge. Only this origin may frame it (the
 * page's policy also names no other ancestor); everything else is the page policy. Browsers ignore
 * X-Frame-Options when frame-ancestors is present (HTML's navigation rules), so next.config.mjs's
 * DENY for every path stays as the fallback for browsers that know only that header.
 */
export const CHALLENGE_CSP = "frame-ancestors 'self'; base-uri 'self'; object-src 'none'";

/** /sandbox/3ds/<payment>: the challenge pages, and nothing that merely starts alike. */
export function isChallengePath(pathname: string): boolean {
  return /^\/sandbox\/3ds\/[^/]+$/.test(pathname);
}

/** API responses are data, never documents: nothing may load or run from them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** One year, subdomains included; no preload (that is a decision for the operator's domain). */
export const HSTS = 'max-age=31536000; includeSubDomains';

/** The constant headers next.config.mjs sends on every path (kept here so tests can compare). */
export const STATIC_SECURITY_HEADERS = {
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
} as const;

export function isPayPagePath(pathname: string): boolean {
  return pathname === '/pay' || pathname.startsWith('/pay/');
}

/** JSON routes; next-auth's /api/auth renders its own HTML pages (sign-in errors), so it gets the page policy. */
function isApiPath(pathname: string): boolean {
  return (pathname === '/api' || pathname.startsWith('/api/')) && !pathname.startsWith('/api/auth/');
}

/**
 * Served over https: APP_URL says so (TLS ends at a proxy in front of us), or the request itself
 * arrived over TLS. Never X-Forwarded-Proto: any client can send it. Browsers ignore HSTS received
 * over plain http anyway, so a wrong "yes" costs nothing and a wrong "no" is what we avoid.
 */
export function servedOverHttps(input: { appUrl: string; requestProtocol: string }): boolean {
  return input.requestProtocol === 'https:' || new URL(input.appUrl).protocol === 'https:';
}

/**
 * The per-request headers for a response: its Content-Security-Policy (the pay page's own, built
 * by the caller with its nonce) and HSTS when served over https.
 */
export function responseSecurityHeaders(input: {
  pathname: string;
  https: boolean;
  payPageCsp?: string;
}): Record<string, string> {
  const csp =
    isPayPagePath(input.pathname) && input.payPageCsp
      ? input.payPageCsp
      : isApiPath(input.pathname)
        ? API_CSP
        : isChallengePath(input.pathname)
          ? CHALLENGE_CSP
          : PAGE_CSP;
  return { 'Content-Security-Policy': csp, ...(input.https ? { 'Strict-Transport-Security': HSTS } : {}) };
}
