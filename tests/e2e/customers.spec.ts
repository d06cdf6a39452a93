import { clientIpFor, expect, test } from './fixtures';
import { DevelopersPage, SignUpPage } from './pages/dashboard-access-pages';
import { expectNoSeriousA11yViolations } from './pages/dashboard-money-pages';
import { card, PayPage } from './pages/pay-page';

test.describe('the Customers page', () => {
  test('shows a customer the API created, and the payment made for them on the hosted pay page', async ({ page, browser, request, email, baseURL }, info) => {
    test.setTimeout(180_000);
    const signUp = new SignUpPage(page);
    await signUp.goto();
    await signUp.signUp('Customer Books', `owner-${email}`, 'customers-password-123');
    await signUp.continueToDashboard();
    const developers = new DevelopersPage(page);
    await developers.goto();
    const { secretKey } = await developers.createKey();
    const headers = { authorization: `Bearer ${secretKey}` };

    const customer = await test.step('the merchant’s server creates a customer and a checkout session for them (Stripe’s shape)', async () => {
      const created = await request.post('/v1/customers', { headers, data: { email, name: 'Grace Hopper', metadata: { crm: 'G-1' } } });
      expect(created.status()).toBe(200);
      const c = (await created.json()) as { id: string };
      const session = await request.post('/v1/checkout/sessions', {
        headers,
        data: {
          mode: 'payment',
          customer: c.id,
          line_items: [{ price_data: { currency: 'usd', unit_amount: 1250, product_data: { name: 'Compiler manual' } }, quantity: 1 }],
          success_url: `${baseURL}/?paid={CHECKOUT_SESSION_ID}`,
          cancel_url: `${baseURL}/`,
        },
      });
      expect(session.status()).toBe(200);
      const { id: sessionId } = (await session.json()) as { id: string };
      const buyer = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': clientIpFor(info) } });
      const pay = new PayPage(await buyer.newPage());
      await pay.goto(sessionId);
      expect((await pay.pay(email, card('4242424242424242'))).status()).toBe(200);
      await buyer.close();
      return c;
    });

    await test.step('the list shows the customer with one payment and what it brought in', async () => {
      await page.getByTestId('nav-customers').click();
      await expect(page.getByRole('heading', { level: 1, name: 'Customers' })).toBeVisible();
      const row = page.locator(`[data-testid="customer-row"][data-customer-id="${customer.id}"]`);
      await expect(row).toBeVisible();
      await expect(row.getByTestId('customer-payments')).toHaveText('1');
      await expect(row).toContainText('12.50');
      await expectNoSeriousA11yViolations(page, 'customers list');
    });

    await test.step('the customer’s page lists the payment, and it opens', async () => {
      await page.getByTestId('customer-link').first().click();
      await expect(page.getByTestId('customer-heading')).toHaveText('Grace Hopper');
      await expect(page.getByTestId('customer-email')).toHaveText(email);
      await expect(page.getByTestId('payment-row')).toHaveCount(1);
      await expect(page.getByTestId('payment-row-status')).toHaveText('Succeeded');
      await expectNoSeriousA11yViolations(page, 'customer page');
      await page.getByTestId('payment-link').click();
      await expect(page).toHaveURL(/\/dashboard\/payments\/pi_/);
    });
  });
});
