import { NextResponse, type NextRequest } from 'next/server';
import { CARD_FORM_HEADER, cardFormPspForSession, payPageCsp } from '@/lib/checkout/pay';
import { env } from '@/lib/env';

/**
 * The hosted pay page's Content-Security-Policy, per request: Stripe's origins are allowed only
 * when the session's card payment routes to Stripe (its Payment Element is shown); otherwise a
 * strict policy without them. A fresh nonce per request lets Next.js's inline scripts run without
 * 'unsafe-inline' (Next reads the nonce from the request's CSP header and adds it to its scripts;
 * the pay page is dynamically rendered, so every response gets its own).
 * (Next 16 renamed middleware.ts to proxy.ts; the proxy runs on Node.js, so it can read the database.)
 */
export async function proxy(request: NextRequest): Promise<NextResponse> {
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
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('Content-Security-Policy', csp);
  return response;
}

export const config = {
  matcher: ['/pay/:path*'],
};
