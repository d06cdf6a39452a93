import { card } from './pages/pay-page';
import { expect, test } from './fixtures';

test.describe('card checkout from the demo store', () => {
  test('pays with 4242 4242 4242 4242 and lands on the order page', async ({ page, store, cart, pay, success, email }) => {
    await store.goto();
    const productId = await store.addProduct(0);
    await store.openCart();
    await cart.increase(productId);
    await expect(cart.quantity(productId)).toHaveText('2');
    const cartTotal = await cart.total.textContent();

    const sessionId = await cart.checkout();
    await expect(pay.amount).toHaveText(cartTotal ?? '');
    await expect(pay.payButton).toHaveText(`Pay ${cartTotal}`);
    await expect(page.getByTestId('test-hint')).toContainText('4242 4242 4242 4242');

    // The number is spaced as it is typed.
    await pay.cardNumber.fill('4242424242424242');
    await expect(pay.cardNumber).toHaveValue('4242 4242 4242 4242');

    const response = await pay.pay(email, card('4242424242424242'));
    expect(response.status()).toBe(200);
    await success.expectPaid(sessionId);
    await expect(success.total).toHaveText(cartTotal ?? '');

    // The paid cart is emptied.
    await expect(store.cartCount).toHaveText('0');

    // The pay page now shows the session as paid.
    await pay.goto(sessionId);
    await expect(pay.complete).toBeVisible();
    await expect(pay.payButton).toHaveCount(0);
  });

  test('a declined card shows why and the customer can retry with another card', async ({
    pay,
    success,
    email,
    startCheckout,
  }) => {
    const sessionId = await startCheckout();
    await pay.payExpectingError(email, card('4000000000000002'), /declined/i);

    const response = await pay.pay(email, card('4242424242424242'));
    expect(response.status()).toBe(200);
    await success.expectPaid(sessionId);
  });

  test('shows inline errors for an incomplete card without calling the server', async ({ page, pay, email, startCheckout }) => {
    await startCheckout();
    let confirmCalls = 0;
    page.on('request', (r) => {
      if (r.url().includes('/confirm')) confirmCalls++;
    });
    await pay.fill(email, { number: '4242 4242 4242 4241', expiry: '01 / 20', cvc: '1' });
    await pay.payButton.click();
    await expect(page.getByTestId('card-number-error')).toHaveText('Your card number is invalid.');
    await expect(page.getByTestId('card-expiry-error')).toHaveText('Your card’s expiry date is in the past.');
    await expect(page.getByTestId('card-cvc-error')).toHaveText('Your card’s security code is incomplete.');
    await expect(pay.cardNumber).toBeFocused();
    expect(confirmCalls).toBe(0);
  });

  test('the customer can go back to the store from the pay page', async ({ page, pay, startCheckout }) => {
    await startCheckout();
    await pay.cancel.click();
    await expect(page).toHaveURL(/\/store\/cart$/);
    // The cart is still there to check out again.
    await expect(page.getByTestId('checkout-button')).toBeEnabled();
  });

  test('an unknown checkout session is a 404', async ({ page }) => {
    const response = await page.goto('/pay/cs_doesnotexist0000000000000');
    expect(response?.status()).toBe(404);
    await expect(page.getByTestId('not-found')).toBeVisible();
  });
});
