import fs from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import type { Page } from '@playwright/test';
import { DemoApi } from './demo-api';
import { E2E_DATA_DIR } from './e2e-paths';
import { LoginPage } from './pages/dashboard-access-pages';
import { expect, test } from './fixtures';
import { card } from './pages/pay-page';
import { expectCleanLayout, expectNoAxeViolations, VIEWPORTS } from './pages/layout-checks';
import { MailboxPage, ReceiptPage } from './pages/mailbox-page';

/**
 * Receipts: after a card payment and after a refund, the customer's receipt arrives in the local
 * mailbox (the demo has no SMTP server), and its link opens the same receipt as a page.
 */
test('a payment and a refund each send a receipt to the local mailbox, and the link opens the receipt', async ({ page, pay, success, email, startCheckout, request }) => {
  const api = new DemoApi(request);
  const mailbox = new MailboxPage(page);
  const receipt = new ReceiptPage(page);
  const sessionId = await startCheckout();
  const amount = (await pay.amount.textContent())?.trim() ?? '';
  expect(amount).toMatch(/^USD \d+\.\d{2}$/);
  await pay.pay(email, card('4242424242424242'));
  await success.expectPaid(sessionId);
  await expect(page.getByTestId('order-receipt-note')).toHaveText(`A receipt is on its way to ${email}.`);
  const session = await api.get<{ payment_intent: string }>(`/api/v1/checkout/sessions/${sessionId}`);

  let merchantName = '';
  await test.step('the payment receipt arrives, with merchant, amount, method and date', async () => {
    const message = await mailbox.waitForMessage(email, /^Receipt from /);
    const subject = (await message.getByTestId('mailbox-subject').textContent()) ?? '';
    merchantName = /^Receipt from (.+) \(/.exec(subject)?.[1] ?? '';
    expect(merchantName).not.toBe('');
    expect(subject).toBe(`Receipt from ${merchantName} (${amount})`);
    const text = message.getByTestId('mailbox-text');
    await expect(text).toContainText(`Amount paid: ${amount}`);
    await expect(text).toContainText('Paid with: Visa •••• 4242');
    await expect(text).toContainText(/Date: \d{1,2} \w+ \d{4}, \d{2}:\d{2} UTC/);
    await expect(text).toContainText(/View this receipt online: http\S+\/receipts\/rcpt_[0-9A-Za-z]{24}/);
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await expectNoAxeViolations(page, `mailbox ${vp.name}`);
    }
    await message.getByTestId('mailbox-receipt-link').click();
  });

  await test.step('the receipt page shows the same receipt, cleanly, at both sizes', async () => {
    await page.waitForURL(/\/receipts\/rcpt_[0-9A-Za-z]{24}$/);
    await expect(receipt.merchant).toHaveText(merchantName);
    await expect(receipt.amount).toHaveText(amount);
    await expect(receipt.method).toHaveText('Visa •••• 4242');
    await expect(receipt.date).toHaveText(/\d{1,2} \w+ \d{4}, \d{2}:\d{2} UTC/);
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await expectCleanLayout(page, `receipt ${vp.name}`);
      await expectNoAxeViolations(page, `receipt ${vp.name}`);
    }
    // an id nobody was given finds nothing
    const guessed = await page.goto(`/receipts/rcpt_${'A'.repeat(24)}`);
    expect(guessed?.status()).toBe(404);
  });

  await test.step('a refund sends a refund receipt', async () => {
    await api.post('/api/v1/refunds', { payment_intent: session.payment_intent, amount: 100 });
    const message = await mailbox.waitForMessage(email, /^Refund from /);
    await expect(message.getByTestId('mailbox-subject')).toHaveText(`Refund from ${merchantName} (USD 1.00)`);
    await expect(message.getByTestId('mailbox-text')).toContainText('Refunded to: Visa •••• 4242');
    await message.getByTestId('mailbox-receipt-link').click();
    await expect(receipt.amount).toHaveText('USD 1.00');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Refund receipt');
    await expectNoAxeViolations(page, 'refund receipt');
    // still exactly one payment receipt and one refund receipt for this customer
    await page.goto(`/dev/mailbox?to=${encodeURIComponent(email)}`);
    await expect(mailbox.messages).toHaveCount(2);
  });
});

async function setReceipts(page: Page, on: boolean): Promise<void> {
  await page.goto('/dashboard/settings');
  const box = page.getByTestId('receipts-enabled');
  await box.setChecked(on);
  await page.getByTestId('receipts-save').click();
  await expect(page.getByTestId('receipts-success')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('receipts-enabled')).toBeChecked({ checked: on });
}

test('a merchant who turns receipts off sends none, and can turn them on again', async ({ page, pay, success, email, startCheckout, request }) => {
  const demo = JSON.parse(await fs.readFile(path.join(E2E_DATA_DIR, 'demo-merchant.json'), 'utf8')) as { email: string; password: string };
  const runtime = JSON.parse(await fs.readFile(path.join(E2E_DATA_DIR, 'runtime.json'), 'utf8')) as { databaseUrl: string };
  const sql = postgres(runtime.databaseUrl, { max: 1, onnotice: () => undefined });
  const api = new DemoApi(request);
  try {
    await new LoginPage(page).login(demo.email, demo.password);
    await setReceipts(page, false);
    const sessionId = await startCheckout();
    await pay.pay(email, card('4242424242424242'));
    await success.expectPaid(sessionId);
    // the store's thank-you page promises no receipt the merchant will not send
    await expect(page.getByTestId('order-success')).not.toContainText(/receipt/i);
    await expect(page.getByTestId('order-receipt-note')).toHaveCount(0);
    const { payment_intent: pi } = await api.get<{ payment_intent: string }>(`/api/v1/checkout/sessions/${sessionId}`);
    // the receipt function decided: skipped because receipts are off, and nothing in the mailbox
    await expect
      .poll(async () => (await sql`select status, skip_reason from receipts where payment_intent_id = ${pi}`).map((r) => `${r.status}:${r.skip_reason}`), { timeout: 45_000 })
      .toEqual(['skipped:receipts_disabled']);
    await page.goto(`/dev/mailbox?to=${encodeURIComponent(email)}`);
    await expect(page.getByTestId('mailbox-empty')).toBeVisible();
  } finally {
    await setReceipts(page, true).catch(() => undefined);
    await sql.end();
  }
});
