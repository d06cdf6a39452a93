import { expect, type Locator, type Page } from '@playwright/test';

/** /store/cart: quantities, total and the checkout button. */
export class CartPage {
  readonly total: Locator;
  readonly checkoutButton: Locator;
  readonly error: Locator;
  readonly empty: Locator;

  constructor(private readonly page: Page) {
    this.total = page.getByTestId('cart-total');
    this.checkoutButton = page.getByTestId('checkout-button');
    this.error = page.getByTestId('checkout-error');
    this.empty = page.getByTestId('cart-empty');
  }

  async goto(): Promise<void> {
    await this.page.goto('/store/cart');
  }

  quantity(productId: string): Locator {
    return this.page.getByTestId(`cart-qty-${productId}`);
  }

  async increase(productId: string): Promise<void> {
    await this.page.getByTestId(`cart-increase-${productId}`).click();
  }

  /** Starts checkout and waits for the hosted pay page; returns the checkout session id. */
  async checkout(): Promise<string> {
    await this.checkoutButton.click();
    await this.page.waitForURL(/\/pay\/cs_[0-9A-Za-z]+$/);
    const match = /\/pay\/(cs_[0-9A-Za-z]+)$/.exec(new URL(this.page.url()).pathname);
    expect(match, 'pay page URL carries the session id').not.toBeNull();
    return match![1]!;
  }
}
