import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { APIRequestContext, Browser } from '@playwright/test';
import { darajaAccessToken } from './daraja-access';
import { E2E_DATA_DIR } from './e2e-paths';
import { expect, test } from './fixtures';
import { expectAccessibleAndNarrow, MpesaPayPage, SimulatedPhone } from './pages/mpesa-pages';

/**
 * M-Pesa on the hosted pay page against the offline Daraja sandbox: the customer enters a
 * phone number, answers the STK prompt on the simulated phone (a second page), and the pay
 * page follows the outcome by polling.
 */

async function secretKey(): Promise<string> {
  const demo = JSON.parse(await fs.readFile(path.join(E2E_DATA_DIR, 'demo-merchant.json'), 'utf8')) as { secret_key: string };
  return demo.secret_key;
}

/** A KES checkout session of the demo merchant; success returns to the pay page (which then shows "complete"). */
async function kesSession(request: APIRequestContext, baseURL: string, amount: number): Promise<string> {
  const res = await request.post('/api/v1/checkout/sessions', {
    headers: { authorization: `Bearer ${await secretKey()}`, 'idempotency-key': randomUUID() },
    data: { amount, currency: 'kes', success_url: `${baseURL}/pay/{CHECKOUT_SESSION_ID}`, cancel_url: `${baseURL}/store` },
  });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { url: string }).url;
}

/** A Safaricom number unique to this run and test. */
function uniquePhone(): { typed: string; msisdn: string } {
  const digits = `${Date.now() % 10_000_000}`.padStart(7, '0') + String(Math.floor(Math.random() * 100)).padStart(2, '0');
  const national = `7${digits.slice(-8)}`;
  return { typed: `0${national.slice(0, 3)} ${national.slice(3, 6)} ${national.slice(6)}`, msisdn: `254${national}` };
}

async function phonePage(browser: Browser) {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const page = await context.newPage();
  return { phone: new SimulatedPhone(page), close: () => context.close() };
}

async function setFaults(request: APIRequestContext, faults: Record<string, unknown>) {
  const accessToken = await darajaAccessToken(request);
  const res = await request.post('/api/sandbox/mpesa/faults', {
    headers: { authorization: `Bearer ${accessToken}` },
    data: faults,
  });
  expect(res.status()).toBe(200);
}

test.describe('M-Pesa on the pay page', () => {
  test('approving on the phone pays, and the page follows to success', async ({ page, browser, request, baseURL }) => {
    const url = await kesSession(request, baseURL!, 150_000);
    const pay = new MpesaPayPage(page);
    await pay.goto(url);
    const number = uniquePhone();
    await pay.payWith(number.typed);
    await expect(pay.phoneSent).toContainText(number.msisdn.slice(-3));

    const { phone, close } = await phonePage(browser);
    await phone.open(number.msisdn);
    await expect(phone.promptText).toHaveText(/Pay KES 1,500 to .+\? Enter M-PESA PIN/);
    await phone.enterPin('1234');
    await expect(phone.result).toContainText('Confirmed');
    await close();

    await expect(pay.complete).toBeVisible({ timeout: 30_000 });
  });

  test('a wrong PIN shows a clear message', async ({ page, browser, request, baseURL }) => {
    const url = await kesSession(request, baseURL!, 20_000);
    const pay = new MpesaPayPage(page);
    await pay.goto(url);
    const number = uniquePhone();
    await pay.payWith(number.typed);
    const { phone, close } = await phonePage(browser);
    await phone.open(number.msisdn);
    await phone.enterPin('0000');
    await close();
    await expect(pay.errorTitle).toHaveText('Wrong M-Pesa PIN', { timeout: 30_000 });
    await expect(pay.error).toContainText('PIN entered was wrong');
  });

  test('cancelling on the phone shows a clear message, and trying again works', async ({ page, browser, request, baseURL }) => {
    const url = await kesSession(request, baseURL!, 30_000);
    const pay = new MpesaPayPage(page);
    await pay.goto(url);
    const number = uniquePhone();
    await pay.payWith(number.typed);
    const { phone, close } = await phonePage(browser);
    await phone.open(number.msisdn);
    await phone.decline();
    await expect(pay.errorTitle).toHaveText('You cancelled the payment', { timeout: 30_000 });

    // try again from the same page
    await pay.phone.fill(number.typed);
    await pay.payButton.click();
    await expect(pay.waiting).toBeVisible();
    await expect(phone.prompt).toBeVisible({ timeout: 15_000 });
    await phone.enterPin('1234');
    await close();
    await expect(pay.complete).toBeVisible({ timeout: 30_000 });
  });

  test('the M-Pesa panel and the simulated phone are accessible at 375 px, and bad numbers get a clear message', async ({
    page,
    browser,
    request,
    baseURL,
  }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    const url = await kesSession(request, baseURL!, 50_000);
    const pay = new MpesaPayPage(page);
    await pay.goto(url);
    await expectAccessibleAndNarrow(page, 'pay page, M-Pesa');
    await pay.phone.fill('0812 345 678');
    await pay.payButton.click();
    await expect(page.getByTestId('mpesa-phone-error')).toContainText('Safaricom number');
    const number = uniquePhone();
    await pay.payWith(number.typed);
    await expectAccessibleAndNarrow(page, 'pay page, waiting for the phone');
    const context = await browser.newContext({ baseURL: baseURL!, viewport: { width: 375, height: 740 } });
    const phonePage = await context.newPage();
    const phone = new SimulatedPhone(phonePage);
    await phone.open(number.msisdn);
    await expectAccessibleAndNarrow(phonePage, 'simulated phone');
    await phone.decline();
    await context.close();
    await expect(pay.errorTitle).toHaveText('You cancelled the payment', { timeout: 30_000 });
    await expectAccessibleAndNarrow(page, 'pay page, after a failure');
  });

  test('a lost callback is resolved by the query workflow', async ({ page, browser, request, baseURL }) => {
    // the workflow waits for the callback (2 minutes by default) before it queries Daraja
    test.setTimeout(300_000);
    await setFaults(request, { drop: true });
    try {
      const url = await kesSession(request, baseURL!, 40_000);
      const pay = new MpesaPayPage(page);
      await pay.goto(url);
      const number = uniquePhone();
      await pay.payWith(number.typed);
      const { phone, close } = await phonePage(browser);
      await phone.open(number.msisdn);
      await phone.enterPin('1234');
      await close();
      // no callback arrives: the page keeps waiting until the workflow's STK query settles it
      await expect(pay.waiting).toBeVisible();
      await expect(pay.complete).toBeVisible({ timeout: 240_000 });
    } finally {
      await setFaults(request, {});
    }
  });
});
