import { NextResponse, type NextRequest } from 'next/server';
import { CARD_FORM_HEADER, cardFormPspForSession, payPageCsp } from '@/lib/checkout/pay';
import { env } from '@/lib/env';
import { INNGEST_SERVE_ROUTE, isFunctionsServer } from '@/lib/env/server-role';
import { isPayPagePath, responseSecurityHeaders, servedOverHttps } from '@/lib/security/headers';

/**
 * Every response's per-request security headers (lib/security/headers.ts): a CSP that forbids
 * framing, and HSTS over https. The constant ones come from next.config.mjs.
 * (Next 16 renamed middleware.ts to proxy.ts; the proxy runs on Node.js, so it can read the database.)
 */
// The functions server (a second Next process on 127.0.0.1, from the same build) is there for
// the engine's calls only: the API, the pages and the PSP callbacks belong to the API server.
// A process's role is set when it is spawned, so it is read once, not on every request.
const FUNCTIONS_ONLY = isFunctionsServer();

export async function proxy(request: NextRequest): Promise<NextResponse> {
  const { pathname, protocol } = request.nextUrl;
  if (FUNCTIONS_ONLY && pathname !== INNGEST_SERVE_ROUTE) {
    return new NextResponse(`Not found: this is paykit's functions server, which serves only ${INNGEST_SERVE_ROUTE}.`, {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
  const https = servedOverHttps({ appUrl: env().APP_URL, requestProtocol: protocol });
  const { response, csp } = isPayPagePath(pathname) ? await payPage(request) : { response: NextResponse.next(), csp: undefined };
  for (const [name, value] of Object.entries(responseSecurityHeaders({ pathname, https, payPageCsp: csp }))) {
    response.headers.set(name, value);
  }
  return response;
}

/**
 * The hosted pay page's Content-Security-Policy, per request: Stripe's origins are allowed only
 * when the session's card payment routes to Stripe (its Payment Element is shown); otherwise a
 * strict policy without them. A fresh nonce per request lets Next.js's inline scripts run without
 * 'unsafe-inline' (Next reads the nonce from the request's CSP header and adds it to its scripts;
 * the pay page is dynamically rendered, so every response gets its own). Our own origin is 'self'
 * throughout, so the page works on whichever host name the customer used (127.0.0.1 or localhost).
 */
async function payPage(request: NextRequest): Promise<{ response: NextResponse; csp: string }> {
  const nonce = Buffer.from(crypto.randomUUID()).toString('base64');
  const sessionId = request.nextUrl.pathname.split('/')[2] ?? '';
  const cardPsp = await cardFormPspForSession(sessionId).catch((err: unknown) => {
    // The page itself will show the failure; the strict policy is the safe default.
    console.error('[proxy] could not decide the pay page card form', err);
    return 'sandbox_card' as const;
  });
  const csp = payPageCsp({
    cardPsp,
    nonce,
    dev: process.env.NODE_ENV === 'development',
    appUrl: env().APP_URL,
    sandboxCardUrl: env().SANDBOX_CARD_URL,
  });
  const headers = new Headers(request.headers);
  headers.set('content-security-policy', csp);
  headers.set('x-nonce', nonce);
  headers.set(CARD_FORM_HEADER, cardPsp);
  return { response: NextResponse.next({ request: { headers } }), csp };
}

export const config = {
  // Everything but Next's immutable build assets (their headers come from next.config.mjs).
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
