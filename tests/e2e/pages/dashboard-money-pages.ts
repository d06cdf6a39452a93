import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';

/** Fails on accessibility violations of serious or critical impact on the current page. */
export async function expectNoSeriousA11yViolations(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map(
      (v) =>
        `${label}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    ),
  ).toEqual([]);
}

/** /login, for the dashboard. */
export class DashboardLogin {
  constructor(private readonly page: Page) {}

  async login(email: string, password: string): Promise<void> {
    await this.page.goto('/login');
    await this.page.getByTestId('login-email').fill(email);
    await this.page.getByTestId('login-password').fill(password);
    await this.page.getByTestId('login-submit').click();
    await this.page.waitForURL(/\/dashboard$/);
    await expect(this.page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  }
}

/** /dashboard/payments: search, filters, export. */
export class PaymentsListPage {
  readonly search: Locator;
  readonly rows: Locator;

  constructor(private readonly page: Page) {
    this.search = page.getByTestId('payments-search');
    this.rows = page.getByTestId('payment-row');
  }

  async goto(): Promise<void> {
    await this.page.goto('/dashboard/payments');
    await expect(this.page.getByRole('heading', { level: 1, name: 'Payments' })).toBeVisible();
  }

  /** Searches and opens the only match; returns its payment id. */
  async openByCustomerEmail(email: string): Promise<string> {
    await this.search.fill(email);
    await this.page.getByTestId('payments-apply').click();
    await expect(this.rows).toHaveCount(1);
    const id = await this.rows.first().getAttribute('data-payment-id');
    await this.rows.first().getByTestId('payment-link').click();
    await this.page.waitForURL(/\/dashboard\/payments\/pi_/);
    return id ?? '';
  }
}

/** /dashboard/payments/pi_...: amounts, actions and history of one payment. */
export class PaymentDetailPage {
  readonly status: Locator;
  readonly refunded: Locator;
  readonly actions: Locator;
  readonly refundRows: Locator;

  constructor(private readonly page: Page) {
    this.status = page.getByTestId('payment-status');
    this.refunded = page.getByTestId('amount-refunded');
    this.actions = page.getByTestId('payment-actions');
    this.refundRows = page.getByTestId('refund-row');
  }

  async goto(id: string): Promise<void> {
    await this.page.goto(`/dashboard/payments/${id}`);
    await expect(this.page.getByTestId('payment-id')).toHaveText(id);
  }

  /** Fills the refund form and reviews it; returns the click key the confirmation will send. */
  async reviewRefund(amount: string, reasonValue: 'requested_by_customer' | 'duplicate' | 'fraudulent'): Promise<string> {
    await this.page.getByTestId('refund-amount').fill(amount);
    await this.page.getByTestId('refund-reason').selectOption(reasonValue);
    await this.page.getByTestId('refund-review').click();
    const confirm = this.page.getByTestId('refund-confirm-form');
    await expect(confirm).toContainText(amount);
    return (await confirm.locator('input[name="clickKey"]').inputValue()) ?? '';
  }

  /** Fills the refund form, reviews, and confirms. */
  async refund(amount: string, reasonValue: 'requested_by_customer' | 'duplicate' | 'fraudulent'): Promise<void> {
    await this.reviewRefund(amount, reasonValue);
    await this.page.getByTestId('refund-confirm').click();
  }
}

/** /dashboard/webhooks: endpoints and the delivery log. */
export class WebhooksPage {
  readonly deliveries: Locator;

  constructor(private readonly page: Page) {
    this.deliveries = page.getByTestId('delivery');
  }

  delivery(eventType: string, status: 'pending' | 'succeeded' | 'failed'): Locator {
    return this.page.locator(`[data-testid="delivery"][data-event-type="${eventType}"][data-status="${status}"]`);
  }

  async goto(): Promise<void> {
    await this.page.goto('/dashboard/webhooks');
    await expect(this.page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  }

  /** Adds an endpoint for all events; returns the signing secret shown once. */
  async addEndpoint(url: string): Promise<string> {
    await this.page.getByTestId('endpoint-url').fill(url);
    await this.page.getByTestId('create-endpoint-submit').click();
    const secret = this.page.getByTestId('endpoint-secret');
    await expect(secret).toBeVisible();
    return (await secret.textContent()) ?? '';
  }
}

/** /dashboard/balances. */
export class BalancesPage {
  constructor(private readonly page: Page) {}

  async goto(): Promise<void> {
    await this.page.goto('/dashboard/balances');
    await expect(this.page.getByRole('heading', { level: 1, name: 'Balances' })).toBeVisible();
  }

  /** Available + pending, in minor units, parsed from "USD 1,234.56". */
  async totalMinor(currency: string): Promise<number> {
    const cell = this.page.getByTestId(`balance-total-${currency}`);
    if ((await cell.count()) === 0) return 0;
    const text = (await cell.textContent()) ?? '';
    const match = /(-?)[A-Z]{3} ([\d,]+)(?:\.(\d+))?/.exec(text);
    if (!match) throw new Error(`cannot read a balance from "${text}"`);
    return Number(`${match[1]}${match[2]!.replaceAll(',', '')}${match[3] ?? ''}`);
  }

  sourceLink(id: string): Locator {
    return this.page.getByTestId('balance-transactions').getByRole('link', { name: id });
  }
}
