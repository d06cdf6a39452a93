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
});
