import type { APIResponse, Response } from '@playwright/test';
import { SignUpPage } from './pages/dashboard-access-pages';
import { card } from './pages/pay-page';
import { expect, test } from './fixtures';

// Clickjacking and sniffing defences, on the production build that `npm start` serves
// (tests/security/headers.test.ts checks the same decisions without a browser).

async function expectSecurityHeaders(response: Response | APIResponse | null, label: string): Promise<void> {
  expect(response, label).not.toBeNull();
  const all = await response!.headersArray();
  const values = (name: string) => all.filter((h) => h.name.toLowerCase() === name).map((h) => h.value);
  // exactly one of each: a second, weaker copy would be as good as none
  expect(values('x-frame-options'), label).toEqual(['DENY']);
  expect(values('x-content-type-options'), label).toEqual(['nosniff']);
  expect(values('referrer-policy'), label).toEqual(['strict-origin-when-cross-origin']);
  const csp = values('content-security-policy');
  expect(csp, label).toHaveLength(1);
  expect(csp[0], label).toMatch(/(^|; )frame-ancestors 'none'(;|$)/);
  // served over plain http here: no HSTS
  expect(values('strict-transport-security'), label).toEqual([]);
}

test.describe('security headers and framing', () => {
  test('login, signup, dashboard, store, pay page and the API all forbid framing and sniffing', async ({
    page,
    request,
    email,
    startCheckout,
  }) => {
    test.setTimeout(120_000);
    await expectSecurityHeaders(await page.goto('/login'), '/login');
    await expectSecurityHeaders(await page.goto('/store'), '/store');
    await expectSecurityHeaders(await request.get('/api/v1/payment_intents'), 'GET /api/v1/payment_intents (401)');

    const signUpResponse = page.waitForResponse((r) => new URL(r.url()).pathname === '/signup');
    const signUp = new SignUpPage(page);
    await signUp.goto();
    await expectSecurityHeaders(await signUpResponse, '/signup');
    await signUp.signUp('Headers Shop', email, 'correct-horse-battery');
    await signUp.continueToDashboard();
    await expectSecurityHeaders(await page.goto('/dashboard'), '/dashboard');

    const sessionId = await startCheckout();
    const payResponse = await page.goto(`/pay/${sessionId}`);
    await expectSecurityHeaders(payResponse, '/pay');
    // the pay page keeps its own, nonce-based policy
    expect((await payResponse!.headerValue('content-security-policy')) ?? '').toMatch(/script-src 'self' 'nonce-/);
  });

  test('a page on another site that frames /login, /signup, /dashboard or the 3-D Secure challenge gets nothing', async ({ page, baseURL }) => {
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/frame-ancestors|X-Frame-Options/i.test(m.text())) blocked.push(m.text());
    });
    await page.setContent(`
      <iframe id="control" srcdoc="<p id='inside'>framed</p>"></iframe>
      <iframe id="login" src="${baseURL}/login"></iframe>
      <iframe id="signup" src="${baseURL}/signup"></iframe>
      <iframe id="dashboard" src="${baseURL}/dashboard"></iframe>
      <iframe id="challenge" src="${baseURL}/sandbox/3ds/sbpay_notframeable"></iframe>`);
    // the control frame renders, so a frame that stays empty was refused, not slow
    await expect(page.frameLocator('#control').locator('#inside')).toHaveText('framed');
    // the 3-D Secure challenge may be framed by this app's own pages only, never by another site
    await expect.poll(() => blocked.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
    for (const id of ['login', 'signup', 'dashboard', 'challenge']) {
      const frame = await (await page.$(`#${id}`))!.contentFrame();
      expect(frame, id).not.toBeNull();
      await expect(frame!.locator('input')).toHaveCount(0);
      expect(frame!.url(), id).not.toContain(`${baseURL}/`);
    }
  });

  test('the pay page opened on localhost while APP_URL says 127.0.0.1 tokenizes and pays a 4242 card', async ({
    page,
    pay,
    success,
    email,
    startCheckout,
    baseURL,
  }) => {
    const sessionId = await startCheckout();
    const other = new URL(baseURL!);
    expect(other.hostname).toBe('127.0.0.1'); // playwright.config.ts sets APP_URL to this
    other.hostname = 'localhost';
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    const tokenized = page.waitForResponse(
      (r) => r.url().endsWith('/api/sandbox/card/v1/tokens') && r.request().method() === 'POST',
    );

    await page.goto(new URL(`/pay/${sessionId}`, other).toString());
    await expect(pay.payButton).toBeVisible();
    const confirmed = await pay.pay(email, card('4242424242424242'));
    const token = await tokenized;
    expect(token.status()).toBe(200);
    expect(new URL(token.url()).origin).toBe(other.origin); // the page's own origin, which 'self' allows
    expect(confirmed.status()).toBe(200);
    await success.expectPaid(sessionId);
    expect(violations).toEqual([]);
  });
});
