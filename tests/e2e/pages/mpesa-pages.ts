import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';

/** No serious or critical axe violations, and nothing wider than the viewport (375 px phones). */
export async function expectAccessibleAndNarrow(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map(
      (v) =>
        `${label}: ${v.id} (${v.impact}) ${v.help} - ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    ),
  ).toEqual([]);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${label}: horizontal overflow`).toBeLessThanOrEqual(0);
}

/** The M-Pesa part of the hosted pay page (KES sessions). */
export class MpesaPayPage {
  readonly methodMpesa: Locator;
  readonly phone: Locator;
  readonly payButton: Locator;
  readonly waiting: Locator;
  readonly phoneSent: Locator;
  readonly error: Locator;
  readonly errorTitle: Locator;
  readonly complete: Locator;

  constructor(private readonly page: Page) {
    this.methodMpesa = page.getByTestId('pay-method-mpesa');
    this.phone = page.getByTestId('mpesa-phone');
    this.payButton = page.getByTestId('mpesa-pay');
    this.waiting = page.getByTestId('mpesa-waiting');
    this.phoneSent = page.getByTestId('mpesa-phone-sent');
    this.error = page.getByTestId('mpesa-error');
    this.errorTitle = page.getByTestId('mpesa-error-title');
    this.complete = page.getByTestId('pay-complete');
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await expect(this.methodMpesa).toBeVisible();
  }

  /** Enters the phone and sends the STK push; the page then waits for the phone. */
  async payWith(phone: string): Promise<void> {
    await this.methodMpesa.click();
    await this.phone.fill(phone);
    await this.payButton.click();
    await expect(this.waiting).toBeVisible();
  }
}

/** The sandbox's simulated handset at /sandbox/phone/<msisdn>. */
export class SimulatedPhone {
  readonly prompt: Locator;
  readonly promptText: Locator;
  readonly pin: Locator;
  readonly send: Locator;
  readonly cancel: Locator;
  readonly result: Locator;

  constructor(private readonly page: Page) {
    this.prompt = page.getByTestId('phone-prompt');
    this.promptText = page.getByTestId('phone-prompt-text');
    this.pin = page.getByTestId('phone-pin');
    this.send = page.getByTestId('phone-send');
    this.cancel = page.getByTestId('phone-cancel');
    this.result = page.getByTestId('phone-result');
  }

  async open(msisdn: string): Promise<void> {
    await this.page.goto(`/sandbox/phone/${msisdn}`);
    await expect(this.prompt).toBeVisible();
  }

  /** Answers the prompt with a PIN and waits until the handset got M-Pesa's answer. */
  async enterPin(pin: string): Promise<void> {
    await this.pin.fill(pin);
    await Promise.all([this.answered(), this.send.click()]);
    await expect(this.result).toBeVisible();
  }

  async decline(): Promise<void> {
    await Promise.all([this.answered(), this.cancel.click()]);
    await expect(this.result).toBeVisible();
  }

  private answered() {
    return this.page.waitForResponse((r) => r.url().includes('/api/sandbox/mpesa/phone/') && r.url().endsWith('/respond'));
  }
}
