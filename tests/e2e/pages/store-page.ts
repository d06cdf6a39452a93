import { expect, type Locator, type Page } from '@playwright/test';

/** /store: the demo merchant's product grid. */
export class StorePage {
  readonly grid: Locator;
  readonly cartCount: Locator;

  constructor(private readonly page: Page) {
    this.grid = page.getByTestId('product-grid');
    this.cartCount = page.getByTestId('cart-count');
  }

  async goto(): Promise<void> {
    await this.page.goto('/store');
    await expect(this.grid).toBeVisible();
  }

  /** Adds the n-th product (0-based) of the grid; returns its id. */
  async addProduct(index = 0): Promise<string> {
    const button = this.grid.locator('[data-testid^="add-to-cart-"]').nth(index);
    const testId = await button.getAttribute('data-testid');
    const before = Number(await this.cartCount.textContent());
    await button.click();
    await expect(this.cartCount).toHaveText(String(before + 1));
    return (testId ?? '').replace('add-to-cart-', '');
  }

  async openCart(): Promise<void> {
    await this.page.getByTestId('cart-link').click();
    await expect(this.page).toHaveURL(/\/store\/cart$/);
  }
}
