import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientIpFor, expect, test } from './fixtures';
import { DevelopersPage, SignUpPage } from './pages/dashboard-access-pages';
import {
  BalancesPage,
  expectNoSeriousA11yViolations,
  PaymentDetailPage,
  PaymentsListPage,
  WebhooksPage,
} from './pages/dashboard-money-pages';
import { card, PayPage } from './pages/pay-page';

/** The merchant's webhook handler: a local HTTP server that records the event types it gets. */
async function startReceiver() {
  const types: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        types.push((JSON.parse(body) as { type: string }).type);
      } catch {
        /* not JSON */
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    types,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test.describe('a new merchant, end to end', () => {
  test('signs up, creates an API key, takes a payment from a customer, finds it by email, refunds part of it, and sees the balance and the webhook change', async ({
    page,
    browser,
    request,
    email,
    baseURL,
  }, info) => {
    test.setTimeout(240_000);
    const receiver = await startReceiver();
    try {
      await test.step('sign up and create an API key (shown once)', async () => {
        const signUp = new SignUpPage(page);
        await signUp.goto();
        await signUp.signUp('Journey Coffee', `owner-${email}`, 'journey-password-123');
        await signUp.continueToDashboard();
      });
      const developers = new DevelopersPage(page);
      await developers.goto();
      const { secretKey } = await developers.createKey();
      expect(secretKey).toMatch(/^sk_test_/);

      const webhooks = new WebhooksPage(page);
      await webhooks.goto();
      await webhooks.addEndpoint(receiver.url);

      const sessionId = await test.step("the merchant's site creates a checkout session with the new key", async () => {
        const res = await request.post('/api/v1/checkout/sessions', {
          headers: { authorization: `Bearer ${secretKey}`, 'idempotency-key': `journey-${Date.now()}` },
          data: {
            line_items: [{ name: 'Flat white', quantity: 2, unit_amount: 450 }],
            currency: 'usd',
            success_url: `${baseURL}/?paid={CHECKOUT_SESSION_ID}`,
            cancel_url: `${baseURL}/`,
            customer_email: email,
          },
        });
        expect(res.status()).toBe(200);
        return ((await res.json()) as { id: string }).id;
      });

      await test.step('a customer pays on the hosted pay page, in their own browser', async () => {
        const customer = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': clientIpFor(info) } });
        const customerPage = await customer.newPage();
        const pay = new PayPage(customerPage);
        await pay.goto(sessionId);
        expect((await pay.pay(email, card('4242424242424242'))).status()).toBe(200);
        await customerPage.waitForURL(new RegExp(`paid=${sessionId}`));
        await customer.close();
      });

      const list = new PaymentsListPage(page);
      const detail = new PaymentDetailPage(page);
      const balances = new BalancesPage(page);
      await list.goto();
      const paymentId = await list.openByCustomerEmail(email);
      await expect(detail.status).toHaveText('Succeeded');

      const before = await test.step('the capture reaches the balance', async () => {
        await expect(async () => {
          await balances.goto();
          await expect(balances.sourceLink(paymentId)).toBeVisible({ timeout: 1_000 });
        }).toPass({ timeout: 30_000 });
        // 9.00 captured, less the 2.9% + 0.30 fee (0.56)
        expect(await balances.totalMinor('usd')).toBe(844);
        return 844;
      });

      await test.step('refund part of it', async () => {
        await detail.goto(paymentId);
        await detail.refund('2.50', 'requested_by_customer');
        await expect(page.getByTestId('refund-success')).toBeVisible();
        await expect(detail.refunded).toHaveText('USD 2.50');
        await balances.goto();
        expect(await balances.totalMinor('usd')).toBe(before - 250);
        await expectNoSeriousA11yViolations(page, 'balances after refund');
      });

      await test.step('the webhook deliveries change: the refund arrives too', async () => {
        await expect
          .poll(() => receiver.types, { timeout: 30_000 })
          .toEqual(expect.arrayContaining(['payment_intent.succeeded', 'refund.created']));
        await expect(async () => {
          await webhooks.goto();
          await expect(webhooks.delivery('refund.created', 'succeeded').first()).toBeVisible({ timeout: 1_000 });
        }).toPass({ timeout: 30_000 });
      });
    } finally {
      await receiver.close();
    }
  });
});
