import { createHash } from 'node:crypto';
import { test as base, expect, type TestInfo } from '@playwright/test';
import { CartPage } from './pages/cart-page';
import { PayPage } from './pages/pay-page';
import { StorePage } from './pages/store-page';
import { SuccessPage } from './pages/success-page';
import { ThreeDsPage } from './pages/three-ds-page';

/**
 * Each test gets its own client IP (sent as X-Forwarded-For, which the risk rules read), so the
 * per-IP limit of 5 attempts a day never carries over from one test to the next.
 */
export function clientIpFor(info: TestInfo): string {
  const h = createHash('sha256').update(info.titlePath.join(' > ')).digest();
  return `10.${h[0]}.${h[1]}.${(h[2]! % 250) + 2}`;
}

/**
 * A customer email unique to the test (the risk rules also count attempts per email). Built from a
 * hash, not the title: a title such as "pays with 4242 4242 4242 4242" must not put a card number
 * into the database that the card-data scan would then find.
 */
export function emailFor(info: TestInfo, suffix = ''): string {
  const h = createHash('sha256').update(info.titlePath.join(' > ')).digest('hex').slice(0, 10);
  return `e2e-${h}${suffix}-${Date.now().toString(36)}@example.com`;
}

interface Fixtures {
  clientIp: string;
  email: string;
  store: StorePage;
  cart: CartPage;
  pay: PayPage;
  threeDs: ThreeDsPage;
  success: SuccessPage;
  /** Puts the first product in the cart, checks out and lands on the pay page; returns the session id. */
  startCheckout: () => Promise<string>;
}

export const test = base.extend<Fixtures>({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures take their dependencies as the first argument
  clientIp: async ({}, use, info) => use(clientIpFor(info)),
  extraHTTPHeaders: async ({ clientIp }, use) => use({ 'X-Forwarded-For': clientIp }),
  // eslint-disable-next-line no-empty-pattern
  email: async ({}, use, info) => use(emailFor(info)),
  store: async ({ page }, use) => use(new StorePage(page)),
  cart: async ({ page }, use) => use(new CartPage(page)),
  pay: async ({ page }, use) => use(new PayPage(page)),
  threeDs: async ({ page }, use) => use(new ThreeDsPage(page)),
  success: async ({ page }, use) => use(new SuccessPage(page)),
  startCheckout: async ({ store, cart, pay }, use) => {
    await use(async () => {
      await store.goto();
      await store.addProduct(0);
      await store.openCart();
      const sessionId = await cart.checkout();
      await expect(pay.payButton).toBeVisible();
      return sessionId;
    });
  },
});

export { expect };
