import { DemoApi } from './demo-api';
import { expect, test } from './fixtures';
import { attachScreenshot, expectCleanLayout, expectNoAxeViolations, VIEWPORTS } from './pages/layout-checks';
import { card } from './pages/pay-page';

/**
 * Every page a customer (or a first-time merchant, before signing in) can land on, at a laptop's and
 * a phone's size: axe finds nothing serious and nothing overflows or overlaps. The dashboard's pages
 * are checked in dashboard-ux.spec.ts, the pay page's form and the receipts in their own specs; here
 * are the storefront, sign-in and sign-up, the pay page's other states and the 3-D Secure dialog.
 */

for (const vp of VIEWPORTS) {
  test.describe(`customer pages at ${vp.width}x${vp.height}`, () => {
    test.use({ viewport: { width: vp.width, height: vp.height } });

    test('storefront, cart, the 3-D Secure dialog, the paid pay page and the order page', async ({
      page,
      context,
      pay,
      threeDs,
      success,
      email,
      startCheckout,
    }, info) => {
      test.setTimeout(120_000);
      await page.goto('/store');
      await expectCleanLayout(page, `store ${vp.name}`);
      await expectNoAxeViolations(page, `store ${vp.name}`);

      const sessionId = await startCheckout();
      await page.goto('/store/cart');
      await expect(page.getByTestId('checkout-button')).toBeVisible();
      await expectCleanLayout(page, `cart ${vp.name}`);
      await expectNoAxeViolations(page, `cart ${vp.name}`);

      await pay.goto(sessionId);
      await pay.pay(email, card('4000002760003184'));
      await test.step('the challenge dialog fits the screen and passes axe', async () => {
        await threeDs.expectShown();
        const box = await threeDs.dialog.boundingBox();
        expect(box, 'dialog rendered').not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(vp.width);
        expect(box!.y + box!.height).toBeLessThanOrEqual(vp.height);
        // the bank's buttons are reachable without scrolling the page
        const complete = await threeDs.frame.getByTestId('3ds-complete').boundingBox();
        expect(complete!.y + complete!.height, 'Complete button inside the viewport').toBeLessThanOrEqual(vp.height);
        // heading, bank frame and status line stack without covering each other, inside the dialog
        const frameBox = (await page.getByTestId('three-ds-frame').boundingBox())!;
        const heading = (await threeDs.dialog.getByRole('heading', { name: 'Confirm with your bank' }).boundingBox())!;
        const status = (await page.getByTestId('three-ds-status').boundingBox())!;
        expect(frameBox.x).toBeGreaterThanOrEqual(box!.x - 1);
        expect(frameBox.x + frameBox.width).toBeLessThanOrEqual(box!.x + box!.width + 1);
        expect(heading.y + heading.height).toBeLessThanOrEqual(frameBox.y + 1);
        expect(status.y).toBeGreaterThanOrEqual(frameBox.y + frameBox.height - 1);
        // the bank's page itself does not scroll sideways inside its frame
        const bank = page.frames().find((f) => /\/sandbox\/3ds\//.test(f.url()));
        expect(bank, 'the challenge frame').toBeTruthy();
        expect(await bank!.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
        await expectNoAxeViolations(page, `3-D Secure dialog ${vp.name}`);
        await attachScreenshot(page, info, `pay-page-3ds-${vp.name}`);
      });

      await test.step('the same session in another tab: verification pending, and the full-page challenge', async () => {
        const other = await context.newPage();
        await other.setViewportSize({ width: vp.width, height: vp.height });
        await other.goto(`/pay/${sessionId}`);
        await expect(other.getByTestId('pay-verification-pending')).toBeVisible();
        await expectCleanLayout(other, `verification pending ${vp.name}`);
        await expectNoAxeViolations(other, `verification pending ${vp.name}`);
        await other.getByTestId('pay-verification-continue').click();
        await other.waitForURL(/\/sandbox\/3ds\//);
        await expect(other.getByTestId('3ds-complete')).toBeVisible();
        await expectCleanLayout(other, `3-D Secure page ${vp.name}`);
        await expectNoAxeViolations(other, `3-D Secure page ${vp.name}`);
        await other.close();
      });

      await threeDs.complete();
      await success.expectPaid(sessionId);
      await expect(page.getByTestId('order-receipt-note')).toContainText(email);
      await expectCleanLayout(page, `order page ${vp.name}`);
      await expectNoAxeViolations(page, `order page ${vp.name}`);

      await pay.goto(sessionId);
      await expect(pay.complete).toBeVisible();
      await expectCleanLayout(page, `paid pay page ${vp.name}`);
      await expectNoAxeViolations(page, `paid pay page ${vp.name}`);
    });

    test('a canceled payment, sign-in, sign-up, the home page and a missing page', async ({ page, pay, request, baseURL }) => {
      const api = new DemoApi(request);
      const { id, paymentIntent } = await api.session(baseURL!, { currency: 'usd', amount: 2_000 });
      await api.post(`/api/v1/payment_intents/${paymentIntent}/cancel`);
      await pay.goto(id);
      await expect(pay.canceled).toBeVisible();
      await expectCleanLayout(page, `canceled ${vp.name}`);
      await expectNoAxeViolations(page, `canceled ${vp.name}`);

      for (const url of ['/', '/login', '/signup', '/store/success?session_id=cs_doesnotexist0000', '/no-such-page']) {
        await test.step(url, async () => {
          await page.goto(url);
          await expect(page.locator('main')).toBeVisible();
          await expectCleanLayout(page, `${url} ${vp.name}`);
          await expectNoAxeViolations(page, `${url} ${vp.name}`);
        });
      }
    });
  });
}
