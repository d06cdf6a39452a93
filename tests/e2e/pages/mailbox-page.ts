import { expect, type Locator, type Page } from '@playwright/test';

/** /dev/mailbox: the email the demo would have sent (no SMTP configured). */
export class MailboxPage {
  readonly messages: Locator;

  constructor(private readonly page: Page) {
    this.messages = page.getByTestId('mailbox-message');
  }

  /** Reloads the mailbox of one address until a message with this subject is there; returns it. */
  async waitForMessage(to: string, subject: RegExp, timeoutMs = 45_000): Promise<Locator> {
    const message = this.messages.filter({ has: this.page.getByTestId('mailbox-subject').filter({ hasText: subject }) });
    await expect
      .poll(
        async () => {
          await this.page.goto(`/dev/mailbox?to=${encodeURIComponent(to)}`);
          return message.count();
        },
        { timeout: timeoutMs, intervals: [500, 1000, 2000] },
      )
      .toBe(1);
    return message;
  }
}

/** /receipts/rcpt_...: the receipt page an email links to. */
export class ReceiptPage {
  readonly receipt: Locator;
  readonly merchant: Locator;
  readonly amount: Locator;
  readonly method: Locator;
  readonly date: Locator;
  readonly number: Locator;

  constructor(page: Page) {
    this.receipt = page.getByTestId('receipt');
    this.merchant = page.getByTestId('receipt-merchant');
    this.amount = page.getByTestId('receipt-amount');
    this.method = page.getByTestId('receipt-method');
    this.date = page.getByTestId('receipt-date');
    this.number = page.getByTestId('receipt-number');
  }
}
