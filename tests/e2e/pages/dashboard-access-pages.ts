import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';

/** Fails on any serious or critical accessibility violation, at desktop width and at 375x812. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const original = page.viewportSize();
  for (const size of [original ?? { width: 1280, height: 720 }, { width: 375, height: 812 }]) {
    await page.setViewportSize(size);
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(
      bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
      `${label} at ${size.width}px`,
    ).toEqual([]);
  }
  if (original) await page.setViewportSize(original);
}

/** /signup: a new merchant and its owner; the first test key is shown once. */
export class SignUpPage {
  readonly secretKey: Locator;

  constructor(private readonly page: Page) {
    this.secretKey = page.getByTestId('signup-secret-key');
  }

  async goto(): Promise<void> {
    await this.page.goto('/signup');
    await expect(this.page.getByRole('heading', { level: 1 })).toBeVisible();
  }

  /** Signs up and returns the secret key shown once. */
  async signUp(name: string, email: string, password: string): Promise<string> {
    await this.page.getByTestId('signup-name').fill(name);
    await this.page.getByTestId('signup-email').fill(email);
    await this.page.getByTestId('signup-password').fill(password);
    await this.page.getByTestId('signup-submit').click();
    await expect(this.secretKey).toBeVisible();
    return (await this.secretKey.textContent())!.trim();
  }

  async continueToDashboard(): Promise<void> {
    await this.page.getByTestId('signup-continue').click();
    await expect(this.page).toHaveURL(/\/dashboard$/);
  }
}

export class LoginPage {
  constructor(private readonly page: Page) {}

  async login(email: string, password: string): Promise<void> {
    await this.page.goto('/login');
    await this.page.getByTestId('login-email').fill(email);
    await this.page.getByTestId('login-password').fill(password);
    await this.page.getByTestId('login-submit').click();
    await expect(this.page).toHaveURL(/\/dashboard$/);
  }

  async signOut(): Promise<void> {
    await this.page.getByTestId('sign-out').click();
    await expect(this.page).toHaveURL(/\/login/);
  }
}

/** /dashboard/developers: API keys and the request log. */
export class DevelopersPage {
  readonly createButton: Locator;
  readonly keyRows: Locator;
  readonly newSecret: Locator;
  readonly requestRows: Locator;

  constructor(private readonly page: Page) {
    this.createButton = page.getByTestId('create-api-key');
    this.keyRows = page.getByTestId('api-key-row');
    this.newSecret = page.getByTestId('new-secret-key');
    this.requestRows = page.getByTestId('request-log-row');
  }

  async goto(): Promise<void> {
    await this.page.goto('/dashboard/developers');
    await expect(this.page.getByRole('heading', { level: 1, name: 'Developers' })).toBeVisible();
  }

  /**
   * Creates a key; returns it (shown once) and the server action call the browser made (its
   * Next-Action id and body), so a test can replay that call as another user.
   */
  async createKey(): Promise<{ secretKey: string; actionId: string; contentType: string; body: string }> {
    const before = await this.keyRows.count();
    const call = this.page.waitForRequest((r) => r.method() === 'POST' && r.headers()['next-action'] !== undefined);
    await this.createButton.click();
    const request = await call;
    await expect(this.newSecret).toBeVisible();
    await expect(this.keyRows).toHaveCount(before + 1);
    return { secretKey: (await this.newSecret.textContent())!.trim(), actionId: request.headers()['next-action']!, contentType: request.headers()['content-type'] ?? 'text/plain;charset=UTF-8', body: request.postData() ?? '' };
  }
}

/** /dashboard/settings/team */
export class TeamPage {
  constructor(private readonly page: Page) {}

  async goto(): Promise<void> {
    await this.page.goto('/dashboard/settings/team');
    await expect(this.page.getByRole('heading', { level: 1, name: 'Team' })).toBeVisible();
  }

  /** Adds a member; returns the one-time password shown once. */
  async invite(email: string, role: 'owner' | 'developer' | 'viewer'): Promise<string> {
    await this.page.getByTestId('invite-email').fill(email);
    await this.page.getByTestId('invite-role').selectOption(role);
    await this.page.getByTestId('invite-submit').click();
    const password = this.page.getByTestId('invite-password');
    await expect(password).toBeVisible();
    await expect(this.page.locator(`[data-testid="team-row"][data-email="${email}"]`)).toBeVisible();
    return (await password.textContent())!.trim();
  }
}

/** /dashboard/settings */
export class SettingsPage {
  constructor(private readonly page: Page) {}

  async goto(): Promise<void> {
    await this.page.goto('/dashboard/settings');
    await expect(this.page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  }

  async saveProfile(name: string, supportEmail: string): Promise<void> {
    await this.page.getByTestId('profile-name').fill(name);
    await this.page.getByTestId('profile-support-email').fill(supportEmail);
    await this.page.getByTestId('profile-save').click();
    await expect(this.page.getByTestId('profile-success')).toBeVisible();
  }

  async preferStripeForCards(): Promise<void> {
    await this.page.getByTestId('routing-card-primary').selectOption('stripe');
    await this.page.getByTestId('routing-card-fallback').selectOption('sandbox_card');
    await this.page.getByTestId('routing-save').click();
    await expect(this.page.getByTestId('routing-success')).toBeVisible();
  }
}

/** /dashboard/audit */
export class AuditPage {
  readonly rows: Locator;

  constructor(private readonly page: Page) {
    this.rows = page.getByTestId('audit-row');
  }

  async goto(): Promise<void> {
    await this.page.goto('/dashboard/audit');
    await expect(this.page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  }

  async actions(): Promise<string[]> {
    return this.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action') ?? ''));
  }
}
