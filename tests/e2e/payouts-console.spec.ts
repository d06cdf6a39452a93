import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { database, demoMerchant } from './dashboard-helpers';
import { DemoApi } from './demo-api';
import { E2E_DATA_DIR } from './e2e-paths';
import { expectNoAxeViolations } from './pages/layout-checks';

const run = promisify(execFile);
const TSX = path.resolve('node_modules/.bin/tsx');

/** `npm run admin -- ...` against the e2e server's database (found through its data dir). */
async function admin(args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, PAYKIT_DATA_DIR: E2E_DATA_DIR };
  delete env.DATABASE_URL;
  const { stdout } = await run(TSX, ['scripts/admin.ts', ...args], { env, timeout: 120_000 });
  return stdout;
}

test.describe('operator console and payouts', () => {
  // each test spawns the admin CLI (a tsx start-up and a database connection) and runs axe on
  // several pages: on a loaded 2-core machine that alone nears the default 60 s
  test.describe.configure({ timeout: 180_000 });

  test('an operator signs in and sees dead letters and PSP health; a merchant cannot enter the console', async ({ page, request }) => {
    const email = `ops-${randomUUID().slice(0, 8)}@ops.test`;
    const { password } = JSON.parse(await admin(['operators', 'create', '--email', email, '--json'])) as { password: string };

    // a payment, so the PSP has something to report, and a failed background run to see
    const api = new DemoApi(request);
    const pi = await api.post<{ id: string }>('/api/v1/payment_intents', { amount: 1500, currency: 'usd' });
    await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    const sql = await database();
    const deadLetterId = `dl_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    try {
      // a run that failed for good, as the engine records it (inngest/function.failed)
      await sql`insert into dead_letters (id, run_id, function_id, event_name, payload, error, merchant_id)
                values (${deadLetterId}, ${`run_${randomUUID()}`}, 'paykit-webhook-deliver', 'webhook/delivery.requested',
                        ${sql.json({ name: 'webhook/delivery.requested', data: { deliveryId: 'whd_missing' } })}, ${sql.json({ message: 'endpoint down' })}, null)`;
    } finally {
      await sql.end();
    }

    await test.step('a merchant session does not open the console', async () => {
      const demo = await demoMerchant();
      await page.goto('/login');
      await page.getByTestId('login-email').fill(demo.email);
      await page.getByTestId('login-password').fill(demo.password);
      await page.getByTestId('login-submit').click();
      await page.waitForURL(/\/dashboard$/);
      await page.goto('/admin');
      await expect(page).toHaveURL(/\/login\/operator$/);
      // and merchant credentials do not sign in as an operator
      await page.getByTestId('login-email').fill(demo.email);
      await page.getByTestId('login-password').fill(demo.password);
      await page.getByTestId('login-submit').click();
      await expect(page.getByTestId('login-error')).toBeVisible();
    });

    await test.step('the operator signs in', async () => {
      await page.getByTestId('login-email').fill(email);
      await page.getByTestId('login-password').fill(password);
      await page.getByTestId('login-submit').click();
      await page.waitForURL(/\/admin$/);
      await expect(page.getByTestId('current-operator')).toContainText(email);
      await expectNoAxeViolations(page, 'admin overview');
      // the operator's session is not a merchant's
      await page.goto('/dashboard');
      await expect(page).toHaveURL(/\/login$/);
      await page.goto('/admin');
    });

    await test.step('dead letters across merchants, replayed', async () => {
      await page.getByTestId('admin-nav-dead-letters').click();
      const row = page.locator(`[data-dead-letter-id="${deadLetterId}"]`);
      await expect(row).toContainText('paykit-webhook-deliver');
      await expect(row).toContainText('endpoint down');
      await expectNoAxeViolations(page, 'admin dead letters');
      await expect(row.getByTestId('dead-letter-replayed')).toHaveText('never');
      await row.getByTestId(`replay-${deadLetterId}-submit`).click();
      await expect(row.getByTestId(`replay-${deadLetterId}-success`)).toBeVisible();
      await expect(row.getByTestId('dead-letter-replayed')).not.toHaveText('never');
      // the open-only view no longer lists it
      await page.goto('/admin/dead-letters?open=1');
      await expect(page.locator(`[data-dead-letter-id="${deadLetterId}"]`)).toHaveCount(0);
    });

    await test.step('PSP health', async () => {
      await page.getByTestId('admin-nav-psp-health').click();
      const card = page.locator('[data-psp="sandbox_card"]');
      await expect(card).toBeVisible();
      await expect(card.getByTestId('psp-success-rate')).toContainText('%');
      await expectNoAxeViolations(page, 'admin psp health');
      await page.getByTestId('admin-nav-audit').click();
      await expect(page.locator('[data-action="dead_letter.replay"]').first()).toBeVisible();
      await expect(page.locator('[data-action="operator.login"]').first()).toBeVisible();
    });
  });

  test('a merchant sees a payout, what it contains, and downloads its CSV', async ({ page, request, baseURL }) => {
    const api = new DemoApi(request);
    const pi = await api.post<{ id: string }>('/api/v1/payment_intents', { amount: 4200, currency: 'usd' });
    await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    // the engine books the capture into pending
    await expect(async () => {
      const balance = await api.get<{ pending: { amount: number; currency: string }[] }>('/api/v1/balance');
      expect(balance.pending.find((b) => b.currency === 'usd')?.amount ?? 0).toBeGreaterThan(0);
    }).toPass({ timeout: 30_000 });
    // the PSP's settlement (pending -> available): today's settlement file reconciled as if its
    // lines were already available (the network pays them out at the next UTC midnight); then the payout cron, run now
    const runtime = JSON.parse(await fs.readFile(path.join(E2E_DATA_DIR, 'runtime.json'), 'utf8')) as { databaseUrl: string };
    const secrets = JSON.parse(await fs.readFile(path.join(E2E_DATA_DIR, 'secrets.json'), 'utf8')) as { SANDBOX_ACQUIRER_KEY: string };
    const date = new Date().toISOString().slice(0, 10);
    const settleAt = new Date(Date.parse(`${date}T12:00:00Z`) + 86_400_000).toISOString();
    await run(
      TSX,
      ['-e', `import('@/lib/reconciliation').then((r) => r.reconcile({ psp: 'sandbox_card', date: '${date}', now: new Date('${settleAt}') })).then(() => process.exit(0))`],
      {
        env: { ...process.env, DATABASE_URL: runtime.databaseUrl, APP_URL: baseURL, SANDBOX_CARD_URL: baseURL, SANDBOX_ACQUIRER_KEY: secrets.SANDBOX_ACQUIRER_KEY },
        timeout: 120_000,
      },
    );
    const payoutRun = JSON.parse(await admin(['payouts', 'run', '--json'])) as { created: { payout_id: string; amount: number }[] };
    const payouts = await api.get<{ data: { id: string; amount: number; status: string; currency: string }[] }>('/api/v1/payouts');
    // the demo merchant also has KES payments from other specs: this payment's payout is the USD one of this run
    const created = new Set(payoutRun.created.map((c) => c.payout_id));
    const payout = payouts.data.find((p) => p.currency === 'usd' && created.has(p.id))!;
    expect(payout, JSON.stringify({ created: [...created], payouts: payouts.data })).toBeDefined();

    const demo = await demoMerchant();
    await page.goto('/login');
    await page.getByTestId('login-email').fill(demo.email);
    await page.getByTestId('login-password').fill(demo.password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(/\/dashboard$/);
    await page.getByTestId('nav-payouts').click();
    const row = page.locator(`[data-payout-id="${payout.id}"]`);
    await expect(row).toHaveAttribute('data-status', 'paid');
    await expectNoAxeViolations(page, 'payouts');
    await row.getByTestId('payout-link').click();
    await expect(page.getByTestId('payout-id')).toHaveText(payout.id);
    await expect(page.locator('[data-category="charge"]').first()).toBeVisible();
    await expect(page.getByTestId('payout-contents')).toContainText(pi.id);
    await expectNoAxeViolations(page, 'payout');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('payout-csv').click()]);
    expect(download.suggestedFilename()).toBe(`payout-${payout.id}.csv`);
    const csv = await fs.readFile((await download.path())!, 'utf8');
    const lines = csv.trim().split(/\r\n/);
    expect(lines[0]).toBe('balance_transaction_id,created_utc,reporting_category,currency,gross,fee,net,payment_intent_id,refund_id,payout_id');
    expect(lines.some((l) => l.includes(`,charge,usd,4200,`) && l.includes(pi.id))).toBe(true);
    const netTotal = lines.slice(1).reduce((s, l) => s + Number(l.split(',')[6]), 0);
    expect(netTotal).toBe(payout.amount);
  });
});
