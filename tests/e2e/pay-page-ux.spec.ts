import { card } from './pages/pay-page';
import { DemoApi } from './demo-api';
import { expect, test } from './fixtures';
import { attachScreenshot, expectCleanLayout, expectNoAxeViolations, VIEWPORTS } from './pages/layout-checks';

/**
 * The hosted pay page as a first-time customer sees it, at a laptop's and a phone's size: nothing
 * overflows or overlaps, the Pay button is on the first screen, and the states say what happened.
 */

const THREE_ITEMS = [
  { name: 'Ceramic mug', quantity: 2, unit_amount: 1500, images: ['/products/mug.svg'] },
  { name: 'Organic cotton T-shirt with a rather long product name that has to wrap', quantity: 1, unit_amount: 2400, images: ['/products/t-shirt.svg'] },
  { name: 'Notebook', quantity: 1, unit_amount: 900 },
];

for (const vp of VIEWPORTS) {
  test.describe(`pay page at ${vp.width}x${vp.height}`, () => {
    test.use({ viewport: { width: vp.width, height: vp.height } });

    test('three items: nothing overflows or overlaps, the Pay button is on the first screen, axe passes', async ({ page, pay, request, baseURL }, info) => {
      const api = new DemoApi(request);
      const lineItems = THREE_ITEMS.map((li) => ({ ...li, ...(li.images ? { images: li.images.map((i) => `${baseURL}${i}`) } : {}) }));
      const { id } = await api.session(baseURL!, { currency: 'usd', line_items: lineItems });
      await pay.goto(id);
      await expect(pay.payButton).toBeVisible();
      await expect(pay.totalLine).toContainText('Total');
      await expect(pay.totalLine).toContainText('USD 63.00');
      await expect(pay.totalLine).not.toContainText('Total due');

      const button = await pay.payButton.boundingBox();
      expect(button, 'Pay button rendered').not.toBeNull();
      expect(button!.y + button!.height, 'Pay button above the fold').toBeLessThanOrEqual(vp.height);

      if (vp.name === 'phone') {
        // folded: the total shows, the lines wait behind the toggle
        await expect(pay.summaryToggle).toBeVisible();
        await expect(pay.summaryToggle).toHaveAttribute('aria-expanded', 'false');
        await expect(pay.lineItems).toBeHidden();
        await expectCleanLayout(page, `${vp.name} folded`);
        await attachScreenshot(page, info, `pay-page-${vp.name}-folded`);
        await pay.summaryToggle.click();
        await expect(pay.summaryToggle).toHaveAttribute('aria-expanded', 'true');
      } else {
        await expect(pay.summaryToggle).toBeHidden();
      }
      await expect(pay.lineItems).toBeVisible();
      await expect(pay.lineItems.getByTestId('pay-line-item')).toHaveCount(3);
      // product images where the line item has one, loaded from this origin
      await expect(pay.lineImages).toHaveCount(2);
      for (const img of await pay.lineImages.all()) expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);

      await expectCleanLayout(page, vp.name);
      await expectNoAxeViolations(page, `pay page ${vp.name}`);
      await attachScreenshot(page, info, `pay-page-${vp.name}`);

      // with inline errors showing, still nothing overlaps
      await pay.payButton.click();
      await expect(page.getByTestId('card-number-error')).toBeVisible();
      await expectCleanLayout(page, `${vp.name} with errors`);
    });

    test('the M-Pesa phone field looks like the card fields and shows +254', async ({ page, request, baseURL }, info) => {
      const api = new DemoApi(request);
      const { id } = await api.session(baseURL!, { currency: 'kes', amount: 15_000 });
      await page.goto(`/pay/${id}`);
      const phone = page.getByTestId('mpesa-phone');
      await expect(phone).toBeVisible();
      await expect(page.getByTestId('mpesa-phone-prefix')).toHaveText('+254');
      const props = ['borderTopWidth', 'borderTopStyle', 'borderTopColor', 'fontSize', 'fontFamily', 'color', 'backgroundColor', 'paddingTop', 'paddingRight', 'minHeight', 'boxShadow'] as const;
      const styleOf = (testId: string) =>
        page.getByTestId(testId).evaluate((el, names) => {
          const s = getComputedStyle(el);
          return Object.fromEntries(names.map((n) => [n, s[n]]));
        }, props);
      const phoneStyle = await styleOf('mpesa-phone');
      const phoneBox = await phone.boundingBox();
      const prefixBox = await page.getByTestId('mpesa-phone-prefix').boundingBox();
      expect(Math.abs(phoneBox!.y - prefixBox!.y)).toBeLessThanOrEqual(1);
      expect(Math.abs(phoneBox!.height - prefixBox!.height)).toBeLessThanOrEqual(1);
      await expectCleanLayout(page, `M-Pesa ${vp.name}`);
      await expectNoAxeViolations(page, `M-Pesa pay page ${vp.name}`);
      await attachScreenshot(page, info, `pay-page-mpesa-${vp.name}`);

      await page.getByTestId('pay-method-card').click();
      await expect(page.getByTestId('card-number')).toBeVisible();
      // the expiry field: the number field keeps room on its right for the brand icon
      expect(phoneStyle).toEqual(await styleOf('card-expiry'));
      const numberBox = await page.getByTestId('card-number').boundingBox();
      expect(Math.abs(numberBox!.height - phoneBox!.height)).toBeLessThanOrEqual(1);
    });
  });
}

test.describe('pay page states', () => {
  test('the card brand shows as an icon as the customer types', async ({ pay, startCheckout }) => {
    await startCheckout();
    for (const [digits, brand] of [
      ['4242', 'Visa'],
      ['5555', 'Mastercard'],
      ['3782', 'American Express'],
    ] as const) {
      await pay.cardNumber.fill(digits);
      await expect(pay.cardBrandIcon).toHaveAttribute('alt', brand);
      await expect(pay.cardBrandIcon).toHaveAttribute('src', new RegExp(`/card-brands/\\w+\\.svg$`));
      await expect.poll(() => pay.cardBrandIcon.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBeGreaterThan(0);
    }
  });

  test('the completed page says "Total paid" and names the brand', async ({ page, pay, success, email, startCheckout }) => {
    const sessionId = await startCheckout();
    await pay.pay(email, card('4242424242424242'));
    await success.expectPaid(sessionId);
    await pay.goto(sessionId);
    await expect(pay.complete).toContainText('with Visa •••• 4242');
    await expect(pay.totalLine).toContainText('Total paid');
    await expectNoAxeViolations(page, 'completed pay page');
  });

  test('the challenge opens in a dialog on the pay page; the same session in another tab says verification is pending', async ({ page, context, pay, threeDs, success, email, startCheckout }, info) => {
    const sessionId = await startCheckout();
    const framingRefused: string[] = [];
    page.on('console', (m) => {
      if (/frame-ancestors|X-Frame-Options|Content Security Policy/i.test(m.text())) framingRefused.push(m.text());
    });
    await pay.pay(email, card('4000002760003184'));
    await threeDs.expectShown();
    // still the pay page: the challenge is in a frame of it, and the bank names the card
    expect(page.url()).toMatch(new RegExp(`/pay/${sessionId}$`));
    await expect(threeDs.frame.getByTestId('3ds-card')).toContainText('ending in 3184');
    await expect(threeDs.dialog.getByRole('heading', { name: 'Confirm with your bank' })).toBeVisible();
    // modal: the dialog is in the top layer and the form behind it is inert
    expect(await threeDs.dialog.evaluate((d: HTMLDialogElement) => d.open && d.matches(':modal'))).toBe(true);
    await page.keyboard.press('Escape');
    await expect(threeDs.dialog).toBeVisible();
    await attachScreenshot(page, info, 'pay-page-3ds-dialog');

    const other = await context.newPage();
    await other.goto(`/pay/${sessionId}`);
    await expect(other.getByTestId('pay-verification-pending')).toBeVisible();
    await expect(other.getByTestId('pay-verification-pending')).toContainText('Verification pending');
    await expect(other.getByTestId('pay-button')).toHaveCount(0);
    await expect(other.getByTestId('card-number')).toHaveCount(0);
    await other.close();

    await threeDs.complete();
    await success.expectPaid(sessionId);
    expect(framingRefused).toEqual([]);
  });

  test('a failed challenge keeps the card number in the form (never in storage) and gives one instruction', async ({ page, pay, threeDs, success, email, startCheckout }) => {
    const sessionId = await startCheckout();
    const entered = card('4000002760003184');
    await pay.pay(email, entered);
    await threeDs.fail();
    await expect(pay.error).toBeVisible();
    await expect(threeDs.dialog).toHaveCount(0);
    expect(page.url()).toMatch(new RegExp(`/pay/${sessionId}$`));
    // the fields are as the customer left them
    await expect(pay.cardNumber).toHaveValue('4000 0027 6000 3184');
    await expect(pay.cardExpiry).toHaveValue(entered.expiry);
    await expect(pay.cardCvc).toHaveValue(entered.cvc);
    await expect(pay.email).toHaveValue(email);
    // one instruction, no second hint beside it
    await expect(pay.error.locator('.notice-title')).toHaveText('Card verification failed');
    await expect(pay.error.locator('p')).toHaveCount(2);
    expect(await pay.error.locator('p').nth(1).textContent()).toBe('Your bank could not confirm this payment. Press Pay to verify again, or enter a different card.');
    await expect(page.locator('.field-hint')).toHaveCount(0);
    await expect(page.locator('.pay-error-slot')).toBeFocused();
    // nothing of the card was written to the browser's storage
    const stored = await page.evaluate(() => JSON.stringify([Object.entries(window.sessionStorage), Object.entries(window.localStorage)]));
    expect(stored).not.toMatch(/4000\s?0027|3184/);

    // Pay again with the same fields: a new challenge, this time completed
    await pay.submit();
    await threeDs.complete();
    await success.expectPaid(sessionId);
  });

  test('a canceled payment says canceled, not expired', async ({ page, pay, request, baseURL }) => {
    const api = new DemoApi(request);
    const { id, paymentIntent } = await api.session(baseURL!, { currency: 'usd', amount: 2_000 });
    await api.post(`/api/v1/payment_intents/${paymentIntent}/cancel`);
    await pay.goto(id);
    await expect(pay.canceled).toBeVisible();
    await expect(pay.canceled).toContainText('This payment was canceled');
    await expect(page.locator('main')).not.toContainText(/expired/i);
    await expect(pay.payButton).toHaveCount(0);
  });

  test('when the session expires while the page is open, the Pay button is disabled', async ({ page, pay, request, baseURL }) => {
    const api = new DemoApi(request);
    const { id } = await api.session(baseURL!, { currency: 'usd', amount: 2_000, expires_in: 1800 });
    await page.clock.install();
    await pay.goto(id);
    await expect(pay.payButton).toBeEnabled();
    await page.clock.fastForward('30:05');
    await expect(pay.payButton).toBeDisabled();
    await expect(pay.payButton).toHaveText('Checkout expired');
    await expect(pay.expiredNotice).toBeVisible();
  });

  test('there is a favicon', async ({ page, request }) => {
    const ico = await request.get('/favicon.ico');
    expect(ico.status()).toBe(200);
    expect(ico.headers()['content-type']).toMatch(/image\//);
    await page.goto('/store');
    const icons = await page.locator('link[rel~="icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href));
    expect(icons.length).toBeGreaterThan(0);
    for (const href of icons) expect((await request.get(href)).status()).toBe(200);
  });
});
