import type { Browser } from '@playwright/test';
import { DemoApi } from './demo-api';
import { demoMerchant } from './dashboard-helpers';
import { expect, test } from './fixtures';
import { DashboardLogin, PaymentDetailPage } from './pages/dashboard-money-pages';
import { MpesaPayPage, SimulatedPhone } from './pages/mpesa-pages';
import { PhonePayBill } from './pages/sandbox-phone-pages';

/**
 * M-Pesa beyond the STK push, in the browser: a KES customer pays by Paybill from the simulated
 * phone's menu and the pay page follows to success; the merchant refunds part of an M-Pesa
 * payment from the dashboard and the phone shows the money coming back (the B2C SMS).
 */

function uniqueMsisdn(): string {
  return `2547${String(Date.now() % 1_000_000).padStart(6, '0')}${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;
}

async function phoneContext(browser: Browser) {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  return { page: await context.newPage(), close: () => context.close() };
}

test.describe('M-Pesa Paybill and refunds', () => {
  test('a KES customer pays by Paybill on the phone and the pay page follows to success', async ({ page, browser, request, baseURL }) => {
    test.setTimeout(90_000);
    const session = await new DemoApi(request).session(baseURL!, { amount: 65_000, currency: 'kes' });
    await page.goto(`/pay/${session.id}`);
    await page.getByTestId('pay-method-paybill').click();
    const business = (await page.getByTestId('paybill-business-number').textContent())!.trim();
    const account = (await page.getByTestId('paybill-account-number').textContent())!.trim();
    await expect(page.getByTestId('paybill-amount')).toHaveText('KES 650.00');
    expect(account).toMatch(/^PK[A-Z0-9]{6}$/);

    const phone = await phoneContext(browser);
    const payBill = new PhonePayBill(phone.page);
    const msisdn = uniqueMsisdn();
    await payBill.goto(msisdn);
    await payBill.pay(business, account, '650', '1234');
    await expect(payBill.result).toContainText('Confirmed');
    await phone.close();

    await expect(page.getByTestId('pay-complete')).toBeVisible({ timeout: 30_000 });
  });

  test('the merchant refunds part of an M-Pesa payment from the dashboard and the phone shows the money coming back', async ({
    page,
    browser,
    request,
    baseURL,
  }) => {
    test.setTimeout(120_000);
    const api = new DemoApi(request);
    const session = await api.session(baseURL!, { amount: 150_000, currency: 'kes' });
    const msisdn = uniqueMsisdn();
    const phone = await phoneContext(browser);
    const customer = await browser.newContext({ baseURL: test.info().project.use.baseURL });
    const payPage = await customer.newPage();
    const pay = new MpesaPayPage(payPage);
    await pay.goto(`/pay/${session.id}`);
    await pay.payWith(`0${msisdn.slice(3)}`);
    const handset = new SimulatedPhone(phone.page);
    await handset.open(msisdn);
    await handset.enterPin('1234');
    await expect(pay.complete).toBeVisible({ timeout: 30_000 });
    await customer.close();

    const merchant = await demoMerchant();
    await new DashboardLogin(page).login(merchant.email, merchant.password);
    const detail = new PaymentDetailPage(page);
    // the capture must be on the books before the balance covers a refund
    await expect(async () => {
      await detail.goto(session.paymentIntent);
      await expect(page.getByTestId('refund-amount')).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await detail.refund('100.00', 'requested_by_customer');
    await expect(detail.refundRows).toHaveCount(1);

    const messages = new PhonePayBill(phone.page);
    await expect(async () => {
      await messages.goto(msisdn);
      await expect(messages.messages.filter({ hasText: /You have received Ksh ?100\.00/ })).toHaveCount(1, { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await expect(async () => {
      await detail.goto(session.paymentIntent);
      await expect(detail.refundRows.first()).toContainText('succeeded', { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await phone.close();
  });
});
