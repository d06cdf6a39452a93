import { expectAccessible, SettingsPage, SignUpPage } from './pages/dashboard-access-pages';
import { card } from './pages/pay-page';
import { expect, test } from './fixtures';

/**
 * The e2e server runs without Stripe keys, so the pay page must keep the sandbox card form under a
 * strict Content-Security-Policy that names no Stripe origin, and still work: Next.js's own inline
 * scripts run because they carry the per-request nonce. (Stripe mode is covered server-side in
 * tests/integration/stripe-pay-page.test.ts; Stripe.js itself cannot be loaded offline.)
 */
test.describe('pay page without Stripe', () => {
  test('serves a strict nonce CSP without Stripe origins, and the sandbox form still pays', async ({
    page,
    pay,
    success,
    email,
    startCheckout,
  }) => {
    const violations: string[] = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
    });

    const sessionId = await startCheckout();
    const response = await page.request.get(`/pay/${sessionId}`);
    const csp = response.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+';/);
    expect(csp).toContain("frame-src 'self';"); // the in-page 3-D Secure challenge, from this app
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('stripe');
    expect(csp).not.toMatch(/unsafe-eval/);
    // Next.js stamped that response's nonce on its scripts.
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(await response.text()).toContain(`nonce="${nonce}"`);

    await pay.goto(sessionId);
    await expect(page.getByTestId('stripe-pay-form')).toHaveCount(0);
    await expect(page.getByTestId('card-number')).toBeVisible();

    const paid = await pay.pay(email, card('4242424242424242'));
    expect(paid.status()).toBe(200);
    await success.expectPaid(sessionId);
    expect(violations).toEqual([]);
  });

  test('the dashboard says Stripe is disabled, and a merchant preferring Stripe still gets the sandbox form', async ({
    page,
    request,
    email,
    pay,
  }) => {
    test.setTimeout(120_000);
    const signUp = new SignUpPage(page);
    await signUp.goto();
    const secretKey = await signUp.signUp('Stripe Fan', email, 'correct-horse-battery');
    await signUp.continueToDashboard();

    const settings = new SettingsPage(page);
    await settings.goto();
    await expect(page.getByTestId('stripe-disabled')).toContainText('Stripe is disabled: STRIPE_SECRET_KEY is not set');
    await expectAccessible(page, 'settings with Stripe disabled');
    await settings.preferStripeForCards();

    const created = await request.post('/api/v1/checkout/sessions', {
      headers: { authorization: `Bearer ${secretKey}`, 'idempotency-key': crypto.randomUUID() },
      data: {
        line_items: [{ name: 'Mug', quantity: 1, unit_amount: 1200 }],
        currency: 'usd',
        success_url: 'https://shop.example/success',
        cancel_url: 'https://shop.example/cart',
      },
    });
    expect(created.status()).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const response = await page.request.get(`/pay/${id}`);
    expect(response.headers()['content-security-policy']).not.toContain('stripe');
    await pay.goto(id);
    await expect(page.getByTestId('card-number')).toBeVisible();
    await expect(page.getByTestId('stripe-pay-form')).toHaveCount(0);
  });
});
