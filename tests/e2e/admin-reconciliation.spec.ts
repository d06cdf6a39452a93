import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type APIRequestContext } from '@playwright/test';
import { DemoApi } from './demo-api';
import { E2E_DATA_DIR } from './e2e-paths';
import { expectNoAxeViolations } from './pages/layout-checks';

const run = promisify(execFile);
const TSX = path.resolve('node_modules/.bin/tsx');

/** `npm run admin -- ...` against the e2e server's database (found through its data dir). */
async function admin(args: string[], baseURL?: string): Promise<string> {
  // the operator's shell has the install's settings (.env): its URL, where the sandbox network answers
  const env: NodeJS.ProcessEnv = { ...process.env, PAYKIT_DATA_DIR: E2E_DATA_DIR, ...(baseURL ? { APP_URL: baseURL } : {}) };
  delete env.DATABASE_URL;
  const { stdout } = await run(TSX, ['scripts/admin.ts', ...args], { env, timeout: 120_000 });
  return stdout;
}

/** Switches the sandbox network's settlement-file faults on the running server, as its acquirer (the install's key). */
async function settlementFaults(request: APIRequestContext, faults: unknown[]): Promise<void> {
  const secrets = JSON.parse(await fs.readFile(path.join(E2E_DATA_DIR, 'secrets.json'), 'utf8')) as { SANDBOX_ACQUIRER_KEY: string };
  const res = await request.post('/api/sandbox/card/v1/settlement_faults', {
    headers: { authorization: `Bearer ${secrets.SANDBOX_ACQUIRER_KEY}` },
    data: { faults },
  });
  expect(res.status(), await res.text()).toBe(200);
}

test.describe('operator console: reconciliation', () => {
  test.describe.configure({ timeout: 180_000 });

  test('an operator sees a run with its match rate and an exception, and resolves it with a note', async ({ page, request, baseURL }) => {
    const email = `ops-${randomUUID().slice(0, 8)}@ops.test`;
    const { password } = JSON.parse(await admin(['operators', 'create', '--email', email, '--json'])) as { password: string };
    const date = new Date().toISOString().slice(0, 10);

    // a real payment for the file to report, and a charge on it the network made that we have no record of
    const api = new DemoApi(request);
    const pi = await api.post<{ id: string }>('/api/v1/payment_intents', { amount: 2_500, currency: 'usd' });
    await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, { payment_method: 'pm_card_visa' });
    await settlementFaults(request, [{ kind: 'unknown_charge', date, amount_minor: 4_321, currency: 'usd' }]);
    let summary: { run_id: string; exceptions: Record<string, number> };
    try {
      summary = JSON.parse(await admin(['reconcile', '--psp', 'sandbox_card', '--date', date, '--json'], baseURL));
    } finally {
      await settlementFaults(request, []);
    }
    expect(summary.exceptions.missing_here).toBeGreaterThanOrEqual(1);

    await test.step('the operator signs in and opens reconciliation', async () => {
      await page.goto('/login/operator');
      await page.getByTestId('login-email').fill(email);
      await page.getByTestId('login-password').fill(password);
      await page.getByTestId('login-submit').click();
      await page.waitForURL(/\/admin$/);
      await page.getByTestId('admin-nav-reconciliation').click();
      await page.waitForURL(/\/admin\/reconciliation$/);
    });

    await test.step('the run, with its lines and match rate', async () => {
      const row = page.locator(`[data-testid="recon-run-row"][data-run="${summary.run_id}"]`);
      await expect(row).toContainText('sandbox_card');
      await expect(row).toContainText(date);
      // the network's stray charge is not matched: the day's rate is below 100%
      await expect(row).toContainText(/\d{1,2}\.\d%/);
      await expect(row).not.toContainText('100.0%');
      await expect(row).toContainText(/missing here: \d+/);
      await expectNoAxeViolations(page, 'admin reconciliation');
    });

    await test.step('the exception, with the evidence, resolved with a note', async () => {
      const exception = page.locator('[data-testid="recon-exception-row"][data-kind="missing_here"]').filter({ hasText: '43.21' }).first();
      await expect(exception).toBeVisible();
      await exception.locator('summary').click();
      await expect(exception.locator('pre')).toContainText('"psp_line"');
      await exception.getByTestId('exception-note').fill('Checked with the acquirer: a test charge, refunded by them.');
      await exception.getByTestId('exception-resolve').click();
      await expect(page.locator('[data-testid="recon-exception-row"][data-kind="missing_here"]').filter({ hasText: '43.21' })).toHaveCount(0);
      await expectNoAxeViolations(page, 'admin reconciliation after resolving');
    });
  });
});
