import { expect, type FrameLocator, type Locator, type Page } from '@playwright/test';

/**
 * The sandbox card network's 3-D Secure challenge, as the pay page shows it: in a dialog on the pay
 * page itself, the bank's page in a frame (the card fields stay behind it, in the page's memory).
 */
export class ThreeDsPage {
  readonly dialog: Locator;
  readonly frame: FrameLocator;

  constructor(private readonly page: Page) {
    this.dialog = page.getByTestId('three-ds-dialog');
    this.frame = page.frameLocator('[data-testid=three-ds-frame]');
  }

  async expectShown(): Promise<void> {
    await expect(this.dialog).toBeVisible();
    await expect(this.frame.getByTestId('3ds-complete')).toBeVisible();
  }

  async complete(): Promise<void> {
    await this.expectShown();
    await this.frame.getByTestId('3ds-complete').click();
  }

  async fail(): Promise<void> {
    await this.expectShown();
    await this.frame.getByTestId('3ds-fail').click();
  }

  /** The challenge page opened on its own, full page (the "Continue verification" link of another tab). */
  async completeFullPage(page: Page = this.page): Promise<void> {
    await page.waitForURL(/\/sandbox\/3ds\//);
    await page.getByTestId('3ds-complete').click();
  }
}
