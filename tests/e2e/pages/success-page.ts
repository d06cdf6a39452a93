import { expect, type Locator, type Page } from '@playwright/test';

/** /store/success?session_id=...: the merchant's order confirmation. */
export class SuccessPage {
  readonly success: Locator;
  readonly total: Locator;

  constructor(private readonly page: Page) {
    this.success = page.getByTestId('order-success');
    this.total = page.getByTestId('order-total');
  }

  async expectPaid(sessionId: string): Promise<void> {
    await this.page.waitForURL(new RegExp(`/store/success\\?session_id=${sessionId}$`));
    await expect(this.success).toBeVisible();
    await expect(this.success).toContainText('Thank you — payment received');
  }
}
