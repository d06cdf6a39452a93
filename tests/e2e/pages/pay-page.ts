import { expect, type Locator, type Page, type Response } from '@playwright/test';

export interface TestCard {
  number: string;
  /** As a customer types it, e.g. "12 / 30". */
  expiry: string;
  cvc: string;
}

/** A card expiring in December, three years from now. */
export function futureExpiry(): string {
  return `12 / ${String((new Date().getFullYear() + 3) % 100).padStart(2, '0')}`;
}

export function card(number: string, cvc = '123'): TestCard {
  return { number, expiry: futureExpiry(), cvc };
}

/** /pay/cs_...: the hosted pay page. */
export class PayPage {
  readonly email: Locator;
  readonly cardNumber: Locator;
  readonly cardExpiry: Locator;
  readonly cardCvc: Locator;
  readonly payButton: Locator;
  readonly error: Locator;
  readonly cancel: Locator;
  readonly complete: Locator;
  readonly expired: Locator;
  readonly amount: Locator;
  readonly summaryToggle: Locator;
  readonly lineItems: Locator;
  readonly lineImages: Locator;
  readonly totalLine: Locator;
  readonly cardBrandIcon: Locator;
  readonly canceled: Locator;
  readonly verificationPending: Locator;
  readonly expiredNotice: Locator;

  constructor(private readonly page: Page) {
    this.email = page.getByTestId('pay-email');
    this.cardNumber = page.getByTestId('card-number');
    this.cardExpiry = page.getByTestId('card-expiry');
    this.cardCvc = page.getByTestId('card-cvc');
    this.payButton = page.getByTestId('pay-button');
    this.error = page.getByTestId('pay-error');
    this.cancel = page.getByTestId('pay-cancel');
    this.complete = page.getByTestId('pay-complete');
    this.expired = page.getByTestId('pay-expired');
    this.amount = page.getByTestId('pay-amount');
    this.summaryToggle = page.getByTestId('pay-summary-toggle');
    this.lineItems = page.getByTestId('pay-line-items');
    this.lineImages = page.getByTestId('pay-line-image');
    this.totalLine = page.getByTestId('pay-total-line');
    this.cardBrandIcon = page.getByTestId('card-brand').locator('img');
    this.canceled = page.getByTestId('pay-canceled');
    this.verificationPending = page.getByTestId('pay-verification-pending');
    this.expiredNotice = page.getByTestId('pay-expired-notice');
  }

  async goto(sessionId: string): Promise<void> {
    await this.page.goto(`/pay/${sessionId}`);
  }

  async fill(email: string, c: TestCard): Promise<void> {
    await this.email.fill(email);
    await this.cardNumber.fill(c.number);
    await this.cardExpiry.fill(c.expiry);
    await this.cardCvc.fill(c.cvc);
  }

  /** Clicks Pay and waits for our confirm endpoint to answer. */
  async submit(): Promise<Response> {
    const confirmed = this.page.waitForResponse((r) => /\/api\/pay\/cs_[0-9A-Za-z]+\/confirm$/.test(new URL(r.url()).pathname));
    await this.payButton.click();
    return confirmed;
  }

  async pay(email: string, c: TestCard): Promise<Response> {
    await this.fill(email, c);
    return this.submit();
  }

  /** Pays, expects a refusal, and checks the form stays ready for another try. */
  async payExpectingError(email: string, c: TestCard, message: RegExp): Promise<void> {
    const response = await this.pay(email, c);
    expect(response.status()).toBe(402);
    await expect(this.error).toBeVisible();
    await expect(this.error).toContainText(message);
    await expect(this.payButton).toBeEnabled();
    await expect(this.cardNumber).toBeEditable();
  }
}
