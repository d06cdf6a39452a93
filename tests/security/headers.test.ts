import type { NextConfig } from 'next';
import { NextRequest } from 'next/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { payPageImageSrc, sandboxTokenizerBase } from '@/lib/checkout/pay';
import { resetEnvCache } from '@/lib/env';
import { API_CSP, HSTS, PAGE_CSP, STATIC_SECURITY_HEADERS } from '@/lib/security/headers';
import { config as proxyConfig, proxy } from '@/proxy';

// Attack: a hostile site frames the dashboard, login or signup and tricks a merchant into clicks
// (clickjacking); or a browser sniffs a JSON answer as HTML. Defence: every response forbids
// framing (CSP frame-ancestors and X-Frame-Options), nosniff, a strict Referrer-Policy, and HSTS
// when served over https. The Playwright spec tests/e2e/security-headers.spec.ts checks the
// built app; this file checks the proxy's decisions and next.config.mjs.

// next.config.mjs is plain JavaScript (Next loads it untranspiled); typed here through its JSDoc type.
const configModule = '@/next.config.mjs';
const nextConfig = ((await import(/* @vite-ignore */ configModule)) as { default: NextConfig }).default;

const saved = { APP_URL: process.env.APP_URL, SANDBOX_CARD_URL: process.env.SANDBOX_CARD_URL };

function useAppUrl(appUrl: string) {
  process.env.APP_URL = appUrl;
  delete process.env.SANDBOX_CARD_URL;
  resetEnvCache();
}

beforeEach(() => useAppUrl('http://localhost:3000'));
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  resetEnvCache();
});

async function headersFor(url: string, requestHeaders: Record<string, string> = {}) {
  const res = await proxy(new NextRequest(url, { headers: requestHeaders }));
  return res.headers;
}

function directives(csp: string | null): Map<string, string[]> {
  return new Map((csp ?? '').split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));
}

describe('the proxy runs on every response of ours', () => {
  const matcher = new RegExp(`^${proxyConfig.matcher[0]}$`);
  it.each([
    '/',
    '/login',
    '/signup',
    '/dashboard',
    '/dashboard/payments',
    '/store',
    '/pay/cs_1',
    '/api/v1/payment_intents',
    '/sandbox/3ds/x',
  ])('matches %s', (path) => expect(matcher.test(path)).toBe(true));
  it.each(['/_next/static/chunks/main.js', '/_next/image', '/favicon.ico'])('leaves the build asset %s to next.config', (path) =>
    expect(matcher.test(path)).toBe(false),
  );
});

describe('pages cannot be framed', () => {
  it.each([
    '/login',
    '/signup',
    '/dashboard',
    '/dashboard/settings',
    '/store',
    '/store/cart',
    '/',
    '/sandbox/3ds',
    '/sandbox/phone/254712345678',
    '/api/auth/error',
  ])('%s forbids every frame ancestor', async (path) => {
    const headers = await headersFor(`http://localhost:3000${path}`);
    expect(headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(directives(headers.get('content-security-policy')).get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('the 3-D Secure challenge may be framed by this origin only (the pay page runs it in a frame)', async () => {
    for (const path of ['/sandbox/3ds/sbpay_1', '/sandbox/3ds/sbpay_1?x=1']) {
      const csp = directives((await headersFor(`http://localhost:3000${path}`)).get('content-security-policy'));
      expect(csp.get('frame-ancestors')).toEqual(["'self'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'self'"]);
    }
    // nothing else under /sandbox, and no look-alike path, gets the looser policy
    for (const path of ['/sandbox/3dsx/sbpay_1', '/sandbox/3ds', '/pay/sandbox/3ds/x', '/api/sandbox/card/v1/payments/sbpay_1/3ds']) {
      expect(directives((await headersFor(`http://localhost:3000${path}`)).get('content-security-policy')).get('frame-ancestors')).toEqual([
        "'none'",
      ]);
    }
  });

  it('the pay page keeps its nonce policy, with no frame ancestor either', async () => {
    const headers = await headersFor('http://localhost:3000/pay/cs_doesnotexist123');
    const csp = directives(headers.get('content-security-policy'));
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('script-src')?.[1]).toMatch(/^'nonce-[A-Za-z0-9+/=]+'$/);
    expect(headers.get('x-middleware-request-content-security-policy')).toBe(headers.get('content-security-policy'));
  });

  it('API answers are data: nothing may load, run or frame them', async () => {
    for (const path of ['/api/v1/payment_intents', '/api/pay/cs_1/confirm', '/api/sandbox/card/v1/tokens']) {
      const csp = (await headersFor(`http://localhost:3000${path}`)).get('content-security-policy');
      expect(csp).toBe(API_CSP);
      expect(directives(csp).get('default-src')).toEqual(["'none'"]);
      expect(directives(csp).get('frame-ancestors')).toEqual(["'none'"]);
    }
  });
});

describe('next.config.mjs sends the constant headers on every path', () => {
  it('X-Frame-Options DENY, nosniff and strict-origin-when-cross-origin, for /:path*', async () => {
    const rules = await nextConfig.headers!();
    const all = rules.find((r) => r.source === '/:path*');
    expect(Object.fromEntries(all!.headers.map((h) => [h.key, h.value]))).toEqual(STATIC_SECURITY_HEADERS);
    // no other rule sends a second, weaker value of one of them
    const others = rules.filter((r) => r !== all).flatMap((r) => r.headers.map((h) => h.key.toLowerCase()));
    for (const key of Object.keys(STATIC_SECURITY_HEADERS)) expect(others).not.toContain(key.toLowerCase());
  });
});

describe('HSTS only over https', () => {
  it('is absent when APP_URL is http, even if a client claims https with X-Forwarded-Proto', async () => {
    for (const path of ['/login', '/pay/cs_1', '/api/v1/charges']) {
      const headers = await headersFor(`http://localhost:3000${path}`, { 'x-forwarded-proto': 'https' });
      expect(headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('is sent on pages, the pay page and the API when APP_URL is https (TLS ends at a proxy)', async () => {
    useAppUrl('https://pay.example.com');
    for (const path of ['/login', '/dashboard', '/pay/cs_1', '/api/v1/charges']) {
      expect((await headersFor(`http://10.0.0.5:3000${path}`)).get('strict-transport-security')).toBe(HSTS);
    }
    expect(HSTS).toMatch(/^max-age=31536000; includeSubDomains$/);
  });

  it('is sent when the request itself came over https', async () => {
    expect((await headersFor('https://localhost:3000/login')).get('strict-transport-security')).toBe(HSTS);
  });
});

describe('the pay page on another host name of this app (127.0.0.1 while APP_URL says localhost)', () => {
  it("sends card data to the page's own origin, which 'self' allows, whatever the Host", async () => {
    expect(sandboxTokenizerBase({ appUrl: 'http://localhost:3000', sandboxCardUrl: 'http://localhost:3000' })).toBe('');
    for (const host of ['127.0.0.1:3000', 'localhost:3000', 'evil.example']) {
      const headers = await headersFor('http://127.0.0.1:3000/pay/cs_doesnotexist123', { host });
      const csp = headers.get('content-security-policy')!;
      expect(directives(csp).get('connect-src')).toEqual(["'self'"]);
      expect(directives(csp).get('form-action')).toEqual(["'self'"]);
      // nothing of the request's Host is reflected into the policy
      expect(csp).not.toMatch(/localhost|127\.0\.0\.1|evil/);
    }
  });

  it('names a tokenizer on another origin explicitly, and keeps a same-origin path prefix', () => {
    expect(sandboxTokenizerBase({ appUrl: 'http://localhost:3000', sandboxCardUrl: 'https://cards.example:8443/base/' })).toBe(
      'https://cards.example:8443/base',
    );
    expect(sandboxTokenizerBase({ appUrl: 'http://localhost:3000', sandboxCardUrl: 'http://localhost:3000/network' })).toBe(
      '/network',
    );
  });
  it("loads this app's own product images by path, so 'self' covers them on any host name; others only over https", () => {
    const app = 'http://127.0.0.1:3100';
    expect(payPageImageSrc('http://127.0.0.1:3100/products/mug.svg', app)).toBe('/products/mug.svg');
    expect(payPageImageSrc('https://cdn.shop.example/mug.png?v=2', app)).toBe('https://cdn.shop.example/mug.png?v=2');
    // the pay page's CSP allows images from 'self', data:, blob: and https: only
    expect(payPageImageSrc('http://cdn.shop.example/mug.png', app)).toBeNull();
    expect(payPageImageSrc('not a url', app)).toBeNull();
    expect(payPageImageSrc(undefined, app)).toBeNull();
  });
});
