import { AuditPage, DevelopersPage, expectAccessible, LoginPage, SettingsPage, SignUpPage, TeamPage } from './pages/dashboard-access-pages';
import { expect, test } from './fixtures';

const PASSWORD = 'correct-horse-battery';

test.describe('merchant dashboard: access, team, developers, settings, audit', () => {
  test('sign up, create a working key, invite a viewer who can read but not create keys', async ({ page, request, email }) => {
    test.setTimeout(240_000);
    const signUp = new SignUpPage(page);
    const developers = new DevelopersPage(page);
    const team = new TeamPage(page);
    const settings = new SettingsPage(page);
    const audit = new AuditPage(page);
    const login = new LoginPage(page);

    await signUp.goto();
    await expectAccessible(page, 'sign-up');
    const firstKey = await signUp.signUp('Access Shop', email, PASSWORD);
    expect(firstKey).toMatch(/^sk_test_/);
    await expectAccessible(page, 'sign-up result');
    await signUp.continueToDashboard();
    await expect(page.getByTestId('merchant-name')).toHaveText('Access Shop');

    await developers.goto();
    await expect(developers.keyRows).toHaveCount(1);
    await expectAccessible(page, 'developers');
    const created = await developers.createKey();
    expect(created.secretKey).toMatch(/^sk_test_/);
    expect(created.secretKey).not.toBe(firstKey);
    // shown once: after a reload only the redacted form is on the page
    await page.reload();
    await expect(developers.newSecret).toHaveCount(0);
    await expect(page.locator('body')).not.toContainText(created.secretKey);

    const auth = { authorization: `Bearer ${created.secretKey}` };
    const intent = await request.post('/api/v1/payment_intents', { headers: auth, data: { amount: 2500, currency: 'usd' } });
    expect(intent.status()).toBe(200);
    expect((await request.get('/api/v1/payment_intents', { headers: auth })).status()).toBe(200);
    await expect(async () => {
      await page.reload();
      await expect(developers.requestRows.filter({ hasText: '/api/v1/payment_intents' })).toHaveCount(2, { timeout: 1000 });
    }).toPass({ timeout: 15_000 });

    await settings.goto();
    await expectAccessible(page, 'settings');
    await settings.saveProfile('Access Shop Ltd', `support-${email}`);
    await settings.preferStripeForCards();
    await page.reload();
    await expect(page.getByTestId('routing-card-primary')).toHaveValue('stripe');

    await team.goto();
    await expectAccessible(page, 'team');
    const viewerEmail = `viewer-${email}`;
    const viewerPassword = await team.invite(viewerEmail, 'viewer');

    await audit.goto();
    await expectAccessible(page, 'audit');
    expect(await audit.actions()).toEqual(
      expect.arrayContaining(['merchant.signup', 'user.login', 'api_key.create', 'settings.profile_update', 'settings.psp_routing_update', 'team.invite']),
    );

    await login.signOut();
    await login.login(viewerEmail, viewerPassword);
    await developers.goto();
    await expect(page.getByTestId('keys-read-only')).toBeVisible();
    await expect(developers.createButton).toHaveCount(0);
    await expect(page.getByTestId('revoke-key')).toHaveCount(0);
    const keysBefore = await developers.keyRows.count();
    // The server refuses too: replay the owner's create-key server action call as the viewer.
    const replay = await page.evaluate(
      async ({ actionId, contentType, body }) => {
        const res = await fetch('/dashboard/developers', { method: 'POST', headers: { 'next-action': actionId, 'content-type': contentType, accept: 'text/x-component' }, body });
        return { status: res.status, text: await res.text() };
      },
      { actionId: created.actionId, contentType: created.contentType, body: created.body },
    );
    expect(replay.text).toContain('Your role does not allow this action.');
    await page.reload();
    await expect(developers.keyRows).toHaveCount(keysBefore);
    await team.goto();
    await expect(page.getByTestId('invite-submit')).toHaveCount(0);
    await expect(page.getByTestId('member-role')).toHaveCount(0);
  });

  test('a merchant cannot open another merchant’s payment (404)', async ({ page, browser, request, email }) => {
    test.setTimeout(120_000);
    const otherContext = await browser.newContext();
    const other = await otherContext.newPage();
    const otherKey = await new SignUpPage(other).goto().then(() => new SignUpPage(other).signUp('Other Shop', `other-${email}`, PASSWORD));
    const pi = await request.post('/api/v1/payment_intents', { headers: { authorization: `Bearer ${otherKey}` }, data: { amount: 900, currency: 'eur' } });
    expect(pi.status()).toBe(200);
    const piId = ((await pi.json()) as { id: string }).id;
    await other.goto(`/dashboard/payments/${piId}`);
    await expect(other.getByTestId('payment-status')).toBeVisible();
    await otherContext.close();

    const signUp = new SignUpPage(page);
    await signUp.goto();
    await signUp.signUp('Nosy Shop', email, PASSWORD);
    await signUp.continueToDashboard();
    // The payment pages do not stream (no loading boundary above them), so the status is a real 404.
    const response = await page.goto(`/dashboard/payments/${piId}`);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1, name: /not found/i })).toBeVisible();
    await expect(page.getByTestId('payment-status')).toHaveCount(0);
    await expect(page.locator('main')).not.toContainText(piId);
  });
});
