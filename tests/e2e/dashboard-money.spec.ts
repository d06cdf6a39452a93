import { randomUUID } from 'node:crypto';
import type { Browser, Page } from '@playwright/test';
import { hashPassword } from '@/lib/auth/passwords';
import { database, demoMerchant, startReceiver, type DemoMerchant } from './dashboard-helpers';
import { clientIpFor, emailFor, expect, test } from './fixtures';
import { card } from './pages/pay-page';
import {
  BalancesPage,
  DashboardLogin,
  expectNoSeriousA11yViolations,
  PaymentDetailPage,
  PaymentsListPage,
  WebhooksPage,
} from './pages/dashboard-money-pages';

const PAGES = ['/dashboard', '/dashboard/payments', '/dashboard/balances', '/dashboard/webhooks', '/dashboard/risk'];

test.describe('merchant dashboard: money', () => {
  test('a customer pays, the owner finds the payment, refunds part of it, and sees the balance and the webhook', async ({
    page,
    pay,
    success,
    email,
    startCheckout,
  }) => {
    test.setTimeout(180_000);
    const receiver = await startReceiver();
    const merchant = await demoMerchant();
    const login = new DashboardLogin(page);
    const list = new PaymentsListPage(page);
    const detail = new PaymentDetailPage(page);
    const webhooks = new WebhooksPage(page);
    const balances = new BalancesPage(page);
    try {
      await test.step('the owner logs in and adds a webhook endpoint (secret shown once)', async () => {
        await login.login(merchant.email, merchant.password);
        await expectNoSeriousA11yViolations(page, 'overview');
        await webhooks.goto();
        const secret = await webhooks.addEndpoint(receiver.url);
        expect(secret).toMatch(/^whsec_/);
        await webhooks.goto();
        await expect(page.getByTestId('endpoint-url-text').filter({ hasText: receiver.url })).toBeVisible();
        await expect(page.getByTestId('endpoint-secret')).toHaveCount(0);
        await expectNoSeriousA11yViolations(page, 'webhooks');
      });

      const sessionId = await test.step('a customer pays in the storefront', async () => {
        const id = await startCheckout();
        const response = await pay.pay(email, card('4242424242424242'));
        expect(response.status()).toBe(200);
        await success.expectPaid(id);
        return id;
      });
      expect(sessionId).toMatch(/^cs_/);

      const paymentId = await test.step('the owner finds it by the customer’s email', async () => {
        await list.goto();
        await expectNoSeriousA11yViolations(page, 'payments');
        const id = await list.openByCustomerEmail(email);
        await expect(detail.status).toHaveText('Succeeded');
        await expect(page.getByTestId('payment-customer')).toHaveText(email);
        await expectNoSeriousA11yViolations(page, 'payment detail');
        return id;
      });

      const before = await test.step('the capture reaches the balance', async () => {
        await expect(async () => {
          await balances.goto();
          await expect(balances.sourceLink(paymentId)).toBeVisible({ timeout: 1_000 });
        }).toPass({ timeout: 30_000 });
        await expectNoSeriousA11yViolations(page, 'balances');
        return balances.totalMinor('usd');
      });

      await test.step('the owner refunds USD 1.00 of it with a reason, after a confirmation', async () => {
        await detail.goto(paymentId);
        await detail.refund('1.00', 'requested_by_customer');
        await expect(page.getByTestId('refund-success')).toBeVisible();
        await expect(detail.refunded).toHaveText('USD 1.00');
        await expect(detail.refundRows).toHaveCount(1);
        await expect(detail.refundRows.first()).toContainText('requested by customer');
      });

      await test.step('the balance goes down by the refund', async () => {
        await balances.goto();
        expect(await balances.totalMinor('usd')).toBe(before - 100);
      });

      await test.step('the webhook deliveries arrive and show in the delivery log', async () => {
        await expect
          .poll(() => receiver.received.map((r) => r.type), { timeout: 30_000 })
          .toEqual(expect.arrayContaining(['payment_intent.succeeded', 'refund.created']));
        expect(receiver.received.every((r) => r.signature?.startsWith('t='))).toBe(true);
        await expect(async () => {
          await webhooks.goto();
          await expect(webhooks.delivery('refund.created', 'succeeded').first()).toBeVisible({ timeout: 1_000 });
        }).toPass({ timeout: 30_000 });
        await expect(webhooks.delivery('payment_intent.succeeded', 'succeeded').first()).toBeVisible();
      });

      await test.step('risk page', async () => {
        await page.goto('/dashboard/risk');
        await expect(page.getByRole('heading', { level: 1, name: 'Risk' })).toBeVisible();
        await expectNoSeriousA11yViolations(page, 'risk');
      });
    } finally {
      await receiver.close();
    }
  });

  test('every money page is usable and accessible on a 375px-wide phone', async ({ page }) => {
    test.setTimeout(120_000);
    const merchant = await demoMerchant();
    await page.setViewportSize({ width: 375, height: 812 });
    await new DashboardLogin(page).login(merchant.email, merchant.password);
    const paymentLink = await (async () => {
      await page.goto('/dashboard/payments?status=succeeded');
      const link = page.getByTestId('payment-link').first();
      return (await link.count()) ? await link.getAttribute('href') : null;
    })();
    for (const url of [...PAGES, ...(paymentLink ? [paymentLink] : [])]) {
      await test.step(url, async () => {
        await page.goto(url);
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        // on a phone the sections sit behind the menu button
        await page.getByTestId('nav-toggle').click();
        await expect(page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Audit' })).toBeVisible();
        // No sideways scrolling of the page itself (wide tables scroll inside their own box).
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${url} scrolls sideways`).toBeLessThanOrEqual(1);
        await expectNoSeriousA11yViolations(page, `${url} @375`);
      });
    }
  });

  test('a viewer sees no refund button, and the server refuses the refund action', async ({
    page,
    browser,
    pay,
    success,
    startCheckout,
  }, info) => {
    test.setTimeout(150_000);
    const merchant = await demoMerchant();
    const sql = await database();
    const viewerEmail = `viewer-${randomUUID()}@example.test`;
    const viewerPassword = `viewer-pass-${randomUUID().slice(0, 8)}`;
    try {
      const [owner] = await sql<
        { merchant_id: string }[]
      >`select merchant_id from users where lower(email) = ${merchant.email.toLowerCase()}`;
      expect(owner).toBeTruthy();
      await sql`insert into users (id, merchant_id, email, password_hash, role) values (${`usr_${randomUUID().replaceAll('-', '')}`}, ${owner!.merchant_id}, ${viewerEmail}, ${await hashPassword(viewerPassword)}, 'viewer')`;

      const customerEmail = emailFor(info, '-viewer');
      const sessionId = await startCheckout();
      expect((await pay.pay(customerEmail, card('4242424242424242'))).status()).toBe(200);
      await success.expectPaid(sessionId);
      const [payment] = await sql<{ id: string }[]>`select id from payment_intents where customer_email = ${customerEmail}`;
      expect(payment).toBeTruthy();
      const paymentId = payment!.id;

      // The owner's refund click, captured and stopped before it reaches the server: the shape of the action request.
      const action = await captureRefundAction(browser, info.project.use.baseURL!, clientIpFor(info), merchant, paymentId);

      await new DashboardLogin(page).login(viewerEmail, viewerPassword);
      const detail = new PaymentDetailPage(page);
      await detail.goto(paymentId);
      await expect(detail.status).toHaveText('Succeeded');
      await expect(detail.actions).toHaveCount(0);
      await expect(page.getByTestId('refund-form')).toHaveCount(0);
      await expect(page.getByTestId('refund-confirm')).toHaveCount(0);
      await expectNoSeriousA11yViolations(page, 'payment detail (viewer)');

      const response = await page.request.post(action.url, {
        headers: { ...action.headers, origin: new URL(action.url).origin },
        data: action.body.replace(action.clickKey, randomUUID()),
      });
      expect(await response.text()).toContain('Your role does not allow this action.');
      const refunds = await sql`select id from refunds where payment_intent_id = ${paymentId}`;
      expect(refunds).toHaveLength(0);

      // A viewer may still export.
      const csv = await page.request.get(`/dashboard/payments/export?q=${encodeURIComponent(customerEmail)}`);
      expect(csv.status()).toBe(200);
      expect(await csv.text()).toContain(paymentId);
    } finally {
      await sql.end();
    }
  });
});

async function captureRefundAction(browser: Browser, baseURL: string, ip: string, merchant: DemoMerchant, paymentId: string) {
  const context = await browser.newContext({ baseURL, extraHTTPHeaders: { 'X-Forwarded-For': ip } });
  try {
    const page: Page = await context.newPage();
    await new DashboardLogin(page).login(merchant.email, merchant.password);
    const detail = new PaymentDetailPage(page);
    await detail.goto(paymentId);
    const clickKey = await detail.reviewRefund('1.00', 'duplicate');
    expect(clickKey).toMatch(/^[0-9a-f-]{36}$/);
    let captured: { url: string; headers: Record<string, string>; body: string; clickKey: string } | null = null;
    await page.route(`**/dashboard/payments/${paymentId}`, async (route) => {
      const request = route.request();
      const headers = await request.allHeaders();
      if (request.method() === 'POST' && headers['next-action']) {
        const keep = ['next-action', 'content-type', 'next-router-state-tree', 'accept'];
        captured = {
          url: request.url(),
          headers: Object.fromEntries(Object.entries(headers).filter(([k]) => keep.includes(k))),
          body: request.postData() ?? '',
          clickKey,
        };
        await route.abort();
        return;
      }
      await route.continue();
    });
    await page.getByTestId('refund-confirm').click();
    await expect.poll(() => captured !== null).toBe(true);
    const result = captured as unknown as { url: string; headers: Record<string, string>; body: string; clickKey: string };
    expect(result.body, `action body: ${result.body.slice(0, 400)}`).toContain(clickKey);
    return result;
  } finally {
    await context.close();
  }
}
