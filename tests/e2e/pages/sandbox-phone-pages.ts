import { expect, type Locator, type Page } from '@playwright/test';

/** The simulated handset's Pay Bill menu and message list at /sandbox/phone/<msisdn>. */
export class PhonePayBill {
  readonly open: Locator;
  readonly form: Locator;
  readonly business: Locator;
  readonly account: Locator;
  readonly amount: Locator;
  readonly pin: Locator;
  readonly send: Locator;
  readonly result: Locator;
  readonly messages: Locator;

  constructor(private readonly page: Page) {
    this.open = page.getByTestId('phone-paybill-open');
    this.form = page.getByTestId('phone-paybill');
    this.business = page.getByTestId('phone-paybill-business');
    this.account = page.getByTestId('phone-paybill-account');
    this.amount = page.getByTestId('phone-paybill-amount');
    this.pin = page.getByTestId('phone-paybill-pin');
    this.send = page.getByTestId('phone-paybill-send');
    this.result = page.getByTestId('phone-paybill-result');
    this.messages = page.getByTestId('phone-message');
  }

  async goto(msisdn: string): Promise<void> {
    await this.page.goto(`/sandbox/phone/${msisdn}`);
    await expect(this.page.getByTestId('phone-idle')).toBeVisible();
  }

  /** Lipa na M-PESA > Pay Bill, and waits for M-Pesa's answer on the handset. */
  async pay(business: string, account: string, amount: string, pin: string): Promise<void> {
    await this.open.click();
    await this.business.fill(business);
    await this.account.fill(account);
    await this.amount.fill(amount);
    await this.pin.fill(pin);
    await Promise.all([
      this.page.waitForResponse((r) => r.url().includes('/api/sandbox/mpesa/phone/') && r.url().endsWith('/paybill')),
      this.send.click(),
    ]);
    await expect(this.result).toBeVisible();
  }
}

/** The simulated handset's Lipa na M-PESA > Buy Goods and Services menu (till number, amount, PIN). */
export class PhoneBuyGoods {
  readonly open: Locator;
  readonly till: Locator;
  readonly amount: Locator;
  readonly pin: Locator;
  readonly send: Locator;
  readonly result: Locator;

  constructor(private readonly page: Page) {
    this.open = page.getByTestId('phone-buygoods-open');
    this.till = page.getByTestId('phone-buygoods-business');
    this.amount = page.getByTestId('phone-buygoods-amount');
    this.pin = page.getByTestId('phone-buygoods-pin');
    this.send = page.getByTestId('phone-buygoods-send');
    this.result = page.getByTestId('phone-buygoods-result');
  }

  async goto(msisdn: string): Promise<void> {
    await this.page.goto(`/sandbox/phone/${msisdn}`);
    await expect(this.page.getByTestId('phone-idle')).toBeVisible();
  }

  /** Pays the till from the phone's menu and waits for M-Pesa's answer on the handset. */
  async pay(till: string, amount: string, pin: string): Promise<void> {
    await this.open.click();
    await this.till.fill(till);
    await this.amount.fill(amount);
    await this.pin.fill(pin);
    await Promise.all([
      this.page.waitForResponse((r) => r.url().includes('/api/sandbox/mpesa/phone/') && r.url().endsWith('/paybill')),
      this.send.click(),
    ]);
    await expect(this.result).toBeVisible();
  }
}
