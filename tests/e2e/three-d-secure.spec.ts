import { card } from './pages/pay-page';
import { expect, test } from './fixtures';

test.describe('3-D Secure', () => {
  test('a card that needs authentication is charged after the challenge is completed', async ({
    pay,
    threeDs,
    success,
    email,
    startCheckout,
  }) => {
    const sessionId = await startCheckout();
    const response = await pay.pay(email, card('4000002760003184'));
    expect(response.status()).toBe(200);

    await threeDs.complete();
    await success.expectPaid(sessionId);
  });

  test('a failed challenge leaves the customer on the pay page with an error', async ({
    page,
    pay,
    threeDs,
    success,
    email,
    startCheckout,
  }) => {
    const sessionId = await startCheckout();
    await pay.pay(email, card('4000002760003184'));
    await threeDs.fail();

    await expect(pay.error).toBeVisible();
    await expect(threeDs.dialog).toHaveCount(0);
    expect(page.url()).toMatch(new RegExp(`/pay/${sessionId}$`));
    await expect(pay.payButton).toBeEnabled();

    // And can still pay with another card.
    await pay.pay(email, card('4242424242424242'));
    await success.expectPaid(sessionId);
  });

  test('on another host name of this app (localhost while APP_URL says 127.0.0.1) the challenge still opens in the page', async ({
    page,
    pay,
    threeDs,
    success,
    email,
    startCheckout,
    baseURL,
  }) => {
    const sessionId = await startCheckout();
    const other = new URL(baseURL!);
    other.hostname = 'localhost';
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/frame-ancestors|X-Frame-Options|Content Security Policy/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(new URL(`/pay/${sessionId}`, other).toString());
    await pay.pay(email, card('4000002760003184'));
    await threeDs.expectShown();
    // the frame is on the page's own origin, which the challenge's frame-ancestors 'self' admits
    const frame = page.frames().find((f) => /\/sandbox\/3ds\//.test(f.url()));
    expect(new URL(frame!.url()).origin).toBe(other.origin);
    await threeDs.complete();
    await success.expectPaid(sessionId);
    expect(refused).toEqual([]);
  });
});
