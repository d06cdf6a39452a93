import { randomUUID } from 'node:crypto';
import { database, demoMerchant, startReceiver } from './dashboard-helpers';
import { expect, test } from './fixtures';
import { DashboardLogin, expectNoSeriousA11yViolations, WebhooksPage } from './pages/dashboard-money-pages';
import { attachScreenshot, chartTexts, DashboardNav, layoutProblems, VIEWPORTS } from './pages/dashboard-ux-pages';
import { card } from './pages/pay-page';

const DASHBOARD_PAGES = [
  '/dashboard',
  '/dashboard/payments',
  '/dashboard/disputes',
  '/dashboard/balances',
  '/dashboard/webhooks',
  '/dashboard/risk',
  '/dashboard/developers',
  '/dashboard/settings',
  '/dashboard/settings/team',
  '/dashboard/audit',
];

/**
 * The payment the layout checks open: the one the first test built (declined try, refund,
 * dispute), or after a worker restart the newest disputed or refunded payment in the database.
 */
async function richPayment(known: string): Promise<string> {
  if (known) return known;
  const sql = await database();
  try {
    const [row] = await sql<{ id: string }[]>`
      select pi.id from payment_intents pi
      where exists (select 1 from payment_disputes d where d.payment_intent_id = pi.id)
         or exists (select 1 from refunds r where r.payment_intent_id = pi.id)
      order by pi.created_at desc limit 1`;
    return row?.id ?? '';
  } finally {
    await sql.end();
  }
}

test.describe('merchant dashboard: reads at a glance', () => {
  /** A payment with a declined try, a partial refund and an open dispute: every row state at once. */
  let paymentId = '';

  test('a payment with a declined attempt, a refund and a dispute shows all three in the list and on the payment', async ({
    page,
    pay,
    success,
    email,
    startCheckout,
  }) => {
    test.setTimeout(150_000);
    const merchant = await demoMerchant();
    const sessionId = await startCheckout();
    await pay.payExpectingError(email, card('4000000000000002'), /declined/i);
    expect((await pay.pay(email, card('4242424242424242'))).status()).toBe(200);
    await success.expectPaid(sessionId);

    const sql = await database();
    try {
      const [pi] = await sql<{ id: string; merchant_id: string; currency: string }[]>`
        select id, merchant_id, currency from payment_intents where customer_email = ${email}`;
      expect(pi).toBeTruthy();
      paymentId = pi!.id;
      const refund = await page.request.post('/api/v1/refunds', {
        headers: { authorization: `Bearer ${merchant.secret_key}`, 'idempotency-key': randomUUID() },
        data: { payment_intent: paymentId, amount: 100 },
      });
      expect(refund.status(), await refund.text()).toBe(200);
      // A dispute as the Stripe dispute webhook records it (the sandbox card network has no chargebacks).
      await sql`insert into payment_disputes (id, merchant_id, payment_intent_id, psp, psp_dispute_id, amount, currency, reason, status)
        values (${`dp_e2e${randomUUID().replaceAll('-', '').slice(0, 16)}`}, ${pi!.merchant_id}, ${paymentId}, 'stripe',
                ${`du_${randomUUID().slice(0, 8)}`}, 500, ${pi!.currency}, 'product_not_received', 'needs_response')`;
    } finally {
      await sql.end();
    }

    await new DashboardLogin(page).login(merchant.email, merchant.password);
    await page.goto(`/dashboard/payments?q=${encodeURIComponent(email)}`);
    const row = page.locator(`[data-testid=payment-row][data-payment-id="${paymentId}"]`);
    await expect(row.getByTestId('payment-row-status')).toHaveText('Disputed');
    await expect(row.getByTestId('payment-row-notes')).toContainText('1 declined attempt');
    await expect(row.getByTestId('payment-row-notes')).toContainText('refunded');
    await expect(row.getByTestId('payment-row-notes')).toContainText('dispute: needs response');

    await page.goto(`/dashboard/payments/${paymentId}`);
    await expect(page.getByTestId('payment-status')).toHaveText('Disputed');
    await expect(page.getByTestId('payment-status-meaning')).toContainText('chargeback');
    await expect(page.getByTestId('payment-dispute-row')).toHaveCount(1);
    await expect(page.locator('[data-testid=attempt-row][data-attempt-status=failed]')).toHaveCount(1);
    // the decline was the last error once, but the payment went through: no stale error banner
    await expect(page.getByTestId('payment-last-error')).toHaveCount(0);

    await page.goto('/dashboard/disputes');
    await expect(page.locator(`[data-testid=dispute-row][data-payment-id="${paymentId}"]`)).toContainText('product not received');
  });

  for (const vp of VIEWPORTS) {
    test(`${vp.name} ${vp.width}x${vp.height}: list and payment detail neither overflow nor overlap`, async ({ page }) => {
      const id = await richPayment(paymentId);
      test.skip(!id, 'no payment with history in the database');
      const merchant = await demoMerchant();
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await new DashboardLogin(page).login(merchant.email, merchant.password);
      for (const url of ['/dashboard/payments', `/dashboard/payments/${id}`]) {
        await page.goto(url);
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        expect(await layoutProblems(page), `${url} at ${vp.width}px`).toEqual([]);
      }
      await page.goto('/dashboard/payments');
      // the id column is not cut off: the table needs no sideways scrolling to show every column
      const wrap = page.getByTestId('payments-table-wrap');
      const clipped = await wrap.evaluate((el) => el.scrollWidth - el.clientWidth);
      expect(clipped, `payments table hides ${clipped}px at ${vp.width}px`).toBeLessThanOrEqual(1);
      await expect(page.getByTestId('payment-row-id').first()).toBeInViewport();
    });

    test(`${vp.name} ${vp.width}x${vp.height}: the shared tables and forms of balances, risk, audit, webhooks and settings neither overflow nor overlap`, async ({
      page,
    }) => {
      const merchant = await demoMerchant();
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await new DashboardLogin(page).login(merchant.email, merchant.password);
      for (const url of ['/dashboard/balances', '/dashboard/risk', '/dashboard/audit', '/dashboard/webhooks', '/dashboard/settings', '/dashboard/settings/team']) {
        await page.goto(url);
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        expect(await layoutProblems(page), `${url} at ${vp.width}px`).toEqual([]);
      }
      // the one table component: a scrollable, labelled region on a laptop, label/value cards on a phone
      await page.goto('/dashboard/audit');
      const wrap = page.getByTestId('audit-table-wrap');
      await expect(wrap).toHaveAttribute('role', 'region');
      const firstCell = page.getByTestId('audit-row').first().locator('td').first();
      const cell = await firstCell.evaluate((td) => ({ display: getComputedStyle(td).display, label: getComputedStyle(td, '::before').content }));
      if (vp.width < 640) {
        expect(cell.display, 'a phone row is a card of label/value lines').toBe('grid');
        expect(cell.label).not.toBe('none');
      } else {
        expect(cell.display).toBe('table-cell');
        expect(cell.label).toBe('none');
      }
      // no row sticks out of its box: every column fits or scrolls inside the table's own region
      const outside = await wrap.evaluate((el) => el.scrollWidth - el.clientWidth);
      if (vp.width < 640) expect(outside, 'phone cards need no sideways scrolling').toBeLessThanOrEqual(1);
    });

    test(`${vp.name} ${vp.width}x${vp.height}: overview charts have axes and follow the date range`, async ({
      page,
      pay,
      success,
      email,
      startCheckout,
    }, info) => {
      const merchant = await demoMerchant();
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await new DashboardLogin(page).login(merchant.email, merchant.password);
      if (await page.getByTestId('volume-empty').isVisible()) {
        // run on its own against a fresh install: take one payment so there is something to draw
        const sessionId = await startCheckout();
        expect((await pay.pay(email, card('4242424242424242'))).status()).toBe(200);
        await success.expectPaid(sessionId);
        await page.goto('/dashboard');
      }
      const volume = page.locator('[data-testid^=volume-chart-]').first();
      await expect(volume).toBeVisible();
      const volumeId = (await volume.getAttribute('data-testid'))!;
      const texts = await chartTexts(page, volumeId);
      expect(texts.labels).toEqual(expect.arrayContaining(['Day (UTC)', volumeId.slice('volume-chart-'.length).toUpperCase()]));
      expect(texts.ticks.length).toBeGreaterThan(2);
      const rate = await chartTexts(page, 'success-chart');
      expect(rate.labels).toEqual(expect.arrayContaining(['Day (UTC)', 'Success rate', 'Today']));
      expect(rate.ticks).toEqual(expect.arrayContaining(['0%', '100%']));
      // a line, not a lone dot: the daily line or the period's level spans the plot
      const widest = await page
        .getByTestId('success-chart')
        .locator('.recharts-line-curve, .recharts-reference-line-line')
        .evaluateAll((els) => Math.max(0, ...els.map((e) => e.getBoundingClientRect().width)));
      expect(widest).toBeGreaterThan(100);
      await expect(page.getByTestId('success-chart')).toHaveAttribute('data-days', '30');
      await attachScreenshot(page, info, `overview-${vp.width}x${vp.height}`);

      await page.getByTestId('range-7d').click();
      await expect(page).toHaveURL(/range=7d/);
      await expect(page.getByTestId('success-chart')).toHaveAttribute('data-days', '7');
      await expect(page.getByTestId('range-7d')).toHaveAttribute('aria-current', 'true');
      const week = await chartTexts(page, 'success-chart');
      expect(week.ticks.filter((t) => /^\d\d\/\d\d$/.test(t)).length).toBeLessThanOrEqual(7);

      await page.getByTestId('range-from').fill('2026-01-01');
      await page.getByTestId('range-to').fill('2026-01-10');
      await page.getByTestId('range-apply').click();
      await expect(page.getByTestId('success-chart')).toHaveAttribute('data-days', '10');
      await expect(page.getByTestId('range-heading')).toContainText('2026-01-01 to 2026-01-10');
      expect(await layoutProblems(page), `overview at ${vp.width}px`).toEqual([]);
    });

    test(`${vp.name} ${vp.width}x${vp.height}: axe passes on every dashboard page`, async ({ page }) => {
      test.setTimeout(180_000);
      const merchant = await demoMerchant();
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await new DashboardLogin(page).login(merchant.email, merchant.password);
      const id = await richPayment(paymentId);
      const pages = id ? [...DASHBOARD_PAGES, `/dashboard/payments/${id}`] : DASHBOARD_PAGES;
      for (const url of pages) {
        await test.step(url, async () => {
          await page.goto(url);
          await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
          await expectNoSeriousA11yViolations(page, `${url} @${vp.width}`);
        });
      }
    });
  }

  test('on a phone the navigation is a menu and the filters fold away', async ({ page }) => {
    const merchant = await demoMerchant();
    await page.setViewportSize({ width: 375, height: 812 });
    await new DashboardLogin(page).login(merchant.email, merchant.password);
    const nav = page.getByRole('navigation', { name: 'Dashboard' });
    await expect(nav.getByRole('link', { name: 'Payments', exact: true })).toBeHidden();
    await new DashboardNav(page).go('Payments');
    await expect(page).toHaveURL(/\/dashboard\/payments$/);
    await expect(nav.getByRole('link', { name: 'Payments', exact: true })).toBeHidden();
    await expect(page.getByTestId('payments-search')).toBeHidden();
    await page.getByTestId('filters-toggle').click();
    await expect(page.getByTestId('payments-search')).toBeVisible();

    await page.setViewportSize({ width: 1280, height: 800 });
    await expect(nav.getByRole('link', { name: 'Payments', exact: true })).toBeVisible();
    await expect(page.getByTestId('nav-toggle')).toBeHidden();
  });

  test('webhooks: a test event is delivered and logged, deleting asks first, failures are in plain words', async ({ page }) => {
    const receiver = await startReceiver();
    const merchant = await demoMerchant();
    const webhooks = new WebhooksPage(page);
    try {
      await new DashboardLogin(page).login(merchant.email, merchant.password);
      await webhooks.goto();
      await webhooks.addEndpoint(receiver.url);
      await webhooks.goto();
      const endpoint = page.getByTestId('endpoint').filter({ hasText: receiver.url });
      await endpoint.getByTestId('test-endpoint-form-submit').click();
      await expect(endpoint.getByTestId('test-endpoint-form-success')).toContainText('delivered (HTTP 200)');
      expect(receiver.received.map((r) => r.type)).toEqual(['webhook_endpoint.test']);
      expect(receiver.received[0]!.signature).toMatch(/^t=\d+,v1=/);
      await webhooks.goto();
      await expect(webhooks.delivery('webhook_endpoint.test', 'succeeded').first()).toBeVisible();

      await expect(page.getByText(/dead letter/i)).toHaveCount(0);
      await expect(page.getByRole('heading', { name: 'Failed deliveries and background jobs' })).toBeVisible();

      const again = page.getByTestId('endpoint').filter({ hasText: receiver.url });
      await again.getByTestId('delete-endpoint-form-ask').click();
      await expect(again.getByTestId('delete-endpoint-form-confirm')).toContainText(receiver.url);
      await again.getByTestId('delete-endpoint-form-keep').click();
      await expect(again.getByTestId('delete-endpoint-form-confirm')).toHaveCount(0);
      await webhooks.goto();
      await expect(page.getByTestId('endpoint').filter({ hasText: receiver.url })).toHaveCount(1);
      const last = page.getByTestId('endpoint').filter({ hasText: receiver.url });
      await last.getByTestId('delete-endpoint-form-ask').click();
      await last.getByTestId('delete-endpoint-form-submit').click();
      await expect(page.getByTestId('endpoint').filter({ hasText: receiver.url })).toHaveCount(0);
    } finally {
      await receiver.close();
    }
  });

  test('a failed login appears in the audit log', async ({ page }) => {
    const merchant = await demoMerchant();
    await page.goto('/login');
    await page.getByTestId('login-email').fill(merchant.email);
    await page.getByTestId('login-password').fill(`wrong-${randomUUID()}`);
    await page.getByTestId('login-submit').click();
    await expect(page.getByTestId('login-error')).toBeVisible();
    await new DashboardLogin(page).login(merchant.email, merchant.password);
    await page.goto('/dashboard/audit');
    await expect(page.getByTestId('audit-row').filter({ hasText: 'user.login_failed' }).first()).toBeVisible();
  });
});
