import { expect, type Page } from '@playwright/test';

/** The sandbox card network's 3-D Secure challenge. */
export class ThreeDsPage {
  constructor(private readonly page: Page) {}

  async expectShown(): Promise<void> {
    await this.page.waitForURL(/\/sandbox\/3ds\//);
    await expect(this.page.getByTestId('3ds-complete')).toBeVisible();
  }

  async complete(): Promise<void> {
    await this.expectShown();
    await this.page.getByTestId('3ds-complete').click();
  }

  async fail(): Promise<void> {
    await this.expectShown();
    await this.page.getByTestId('3ds-fail').click();
  }
}
