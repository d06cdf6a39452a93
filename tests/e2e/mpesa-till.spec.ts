import { DemoApi } from './demo-api';
import { expect, test } from './fixtures';
import { PhoneBuyGoods } from './pages/sandbox-phone-pages';

/**
 * Pay with Till in the browser: a KES customer picks Till on the pay page, names the phone they
 * pay from, pays the till from the simulated phone's Buy Goods menu, and the pay page follows to
 * success once paykit has verified the payment (validation, confirmation, Pull Transactions).
 */

function uniqueMsisdn(): string {
  return `2547${String(Date.now() % 1_000_000).padStart(6, '0')}${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;
}

test.describe('M-Pesa Till', () => {
  test('a KES customer pays by Till on the phone and the pay page follows to success', async ({ page, browser, request, baseURL }) => {
    test.setTimeout(90_000);
    const session = await new DemoApi(request).session(baseURL!, { amount: 72_000, currency: 'kes' });
    const msisdn = uniqueMsisdn();
    await page.goto(`/pay/${session.id}`);
    await page.getByTestId('pay-method-till').click();
    await page.getByTestId('till-phone').fill(`0${msisdn.slice(3)}`);
    await page.getByTestId('till-continue').click();
    const till = (await page.getByTestId('till-number').textContent())!.trim();
    expect(till).toMatch(/^\d{5,7}$/);
    await expect(page.getByTestId('till-amount')).toHaveText('KES 720.00');

    const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
    const buyGoods = new PhoneBuyGoods(await context.newPage());
    await buyGoods.goto(msisdn);
    await buyGoods.pay(till, '720', '1234');
    await expect(buyGoods.result).toContainText('Confirmed');
    await context.close();

    await expect(page.getByTestId('pay-complete')).toBeVisible({ timeout: 30_000 });
  });
});
