import { card } from './pages/pay-page';
import { expect, test } from './fixtures';

/** Five different declining test cards: distinct fingerprints, so only the per-IP rule can trip. */
const DECLINING_CARDS = ['4000000000000002', '4000000000009995', '4000000000009987', '4000000000009979', '4000000000000069'];

test.describe('risk checks', () => {
  test('the sixth payment attempt from one IP in a day is blocked before it reaches the card network', async ({
    pay,
    email,
    startCheckout,
  }) => {
    await startCheckout();
    for (const [i, number] of DECLINING_CARDS.entries()) {
      await test.step(`attempt ${i + 1} is declined by the issuer`, async () => {
        const response = await pay.pay(email, card(number));
        expect(response.status()).toBe(402);
        expect((await response.json()).error.code).not.toBe('payment_blocked');
        await expect(pay.error).toBeVisible();
      });
    }

    await test.step('attempt 6, even with a good card, is blocked', async () => {
      const response = await pay.pay(email, card('4242424242424242'));
      expect(response.status()).toBe(402);
      expect((await response.json()).error).toMatchObject({ type: 'card_error', code: 'payment_blocked' });
      await expect(pay.error).toContainText('This payment was blocked');
      await expect(pay.payButton).toBeEnabled();
    });
  });
});
