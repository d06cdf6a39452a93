import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { mailboxMessages, outboxEvents, receipts } from '@/db/schema';
import { defineFunctions } from '@/inngest';
import { startHarness, type Harness } from '../helpers/engine-harness';
import { relayOutboxBatch, type RelayedEvent } from '@/lib/events/relay';
import { findReceiptView, listMailbox, sendReceiptForEvent, setReceiptsEnabled, type ReceiptEvent } from '@/lib/receipts';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

let app: TestApp;
let harness: Harness | undefined;

beforeAll(async () => {
  app = await startTestApp();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});
afterAll(() => app.close());

async function paidIntent(options: { email?: string; name?: string; amount?: number } = {}) {
  const m = await createTestMerchant(options.name ?? 'Receipt Roasters');
  const api = apiClient(app, m.secretKey);
  const pi = (await api.post('/api/v1/payment_intents', { amount: options.amount ?? 12_345, currency: 'usd' })).body;
  const confirm = await api.post(`/api/v1/payment_intents/${pi.id}/confirm`, {
    payment_method: 'pm_card_visa',
    ...(options.email ? { receipt_email: options.email } : {}),
  });
  expect(confirm.body.status).toBe('succeeded');
  return { m, api, pi };
}

async function outboxEvent(type: string, aggregateId: string): Promise<ReceiptEvent> {
  const rows = await getDb()
    .select()
    .from(outboxEvents)
    .where(and(eq(outboxEvents.type, type), eq(outboxEvents.aggregateId, aggregateId)));
  expect(rows).toHaveLength(1);
  const row = rows[0]!;
  return {
    eventId: row.id,
    type: type as ReceiptEvent['type'],
    aggregateId,
    attemptId: (row.data as { attemptId?: string }).attemptId ?? null,
  };
}

const messagesTo = (to: string) => getDb().select().from(mailboxMessages).where(eq(mailboxMessages.to, to));

describe('receipts through the engine', () => {
  it('a succeeded payment and a succeeded refund each land once in the local mailbox, however often the events are relayed', async () => {
    harness = await startHarness((client) => defineFunctions(client));
    const relay = () => relayOutboxBatch((events: RelayedEvent[]) => harness!.client.send(events).then(() => undefined));
    const email = `buyer-${Date.now()}@example.test`;
    const { api, pi } = await paidIntent({ email });
    await relay();
    await harness.waitFor(async () => ((await messagesTo(email)).length === 1 ? true : undefined), 15_000);

    const refund = (await api.post('/api/v1/refunds', { payment_intent: pi.id, amount: 2_345 })).body;
    expect(refund.status).toBe('succeeded');
    await relay();
    await harness.waitFor(async () => ((await messagesTo(email)).length === 2 ? true : undefined), 15_000);
    // the same events delivered again: nothing more is sent
    await getDb().update(outboxEvents).set({ sentAt: null }).where(eq(outboxEvents.aggregateId, pi.id));
    await relay();
    await harness.engine.drain();

    const mail = await listMailbox({ to: email });
    expect(mail).toHaveLength(2);
    const [refundMail, paymentMail] = mail;
    expect(paymentMail!.subject).toBe('Receipt from Receipt Roasters (USD 123.45)');
    expect(paymentMail!.text).toContain('Amount paid: USD 123.45');
    expect(paymentMail!.text).toContain('Paid with: Visa •••• 4242');
    expect(refundMail!.subject).toBe('Refund from Receipt Roasters (USD 23.45)');
    expect(refundMail!.text).toContain('Refunded to: Visa •••• 4242');

    // the URL in the email opens the same receipt
    const url = paymentMail!.text.match(/View this receipt online: (\S+)/)?.[1];
    expect(url).toMatch(/\/receipts\/rcpt_[0-9A-Za-z]{24}$/);
    const view = await findReceiptView(url!.split('/').pop()!);
    expect(view).toMatchObject({ kind: 'payment', merchantName: 'Receipt Roasters', amountLabel: 'USD 123.45', methodLabel: 'Visa •••• 4242' });
    expect(paymentMail!.text).toContain(`Date: ${view!.dateLabel}`);
    expect(await getDb().select().from(receipts).where(eq(receipts.paymentIntentId, pi.id))).toHaveLength(2);
  });
});

describe('sendReceiptForEvent', () => {
  it('of 12 concurrent deliveries of one event, one message is written and every call agrees on the receipt', async () => {
    const email = `concurrent-${Date.now()}@example.test`;
    const { pi } = await paidIntent({ email });
    const event = await outboxEvent('payment_intent.succeeded', pi.id);
    const results = await Promise.all(Array.from({ length: 12 }, () => sendReceiptForEvent(getDb(), event, { smtp: null })));
    expect(new Set(results.map((r) => r.receiptId)).size).toBe(1);
    expect(results.filter((r) => r.sentNow)).toHaveLength(1);
    expect(await messagesTo(email)).toHaveLength(1);
  });

  it('sends nothing when the merchant turned receipts off, and nothing without an email address', async () => {
    const email = `off-${Date.now()}@example.test`;
    const off = await paidIntent({ email });
    await setReceiptsEnabled(getDb(), off.m.merchant.id, false);
    const result = await sendReceiptForEvent(getDb(), await outboxEvent('payment_intent.succeeded', off.pi.id), { smtp: null });
    expect(result).toMatchObject({ status: 'skipped', sentNow: false });
    expect(await messagesTo(email)).toHaveLength(0);
    // turned on again later: an event already decided stays decided (no surprise mail days later)
    await setReceiptsEnabled(getDb(), off.m.merchant.id, true);
    expect((await sendReceiptForEvent(getDb(), await outboxEvent('payment_intent.succeeded', off.pi.id), { smtp: null })).status).toBe('skipped');

    const anonymous = await paidIntent();
    const noEmail = await sendReceiptForEvent(getDb(), await outboxEvent('payment_intent.succeeded', anonymous.pi.id), { smtp: null });
    expect(noEmail.status).toBe('skipped');
    const row = (await getDb().select().from(receipts).where(eq(receipts.id, noEmail.receiptId)))[0];
    expect(row?.skipReason).toBe('no_email');
  });

  it('refuses ids that are not receipt ids and unknown ones', async () => {
    expect(await findReceiptView('rcpt_short')).toBeNull();
    expect(await findReceiptView(`rcpt_${'A'.repeat(24)}`)).toBeNull();
    expect(await findReceiptView("rcpt_' or 1=1 --")).toBeNull();
  });

  it('sends over SMTP when configured, with the receipt id as Message-ID, and once', async () => {
    const smtp = await startFakeSmtp();
    try {
      const email = `smtp-${Date.now()}@example.test`;
      const { pi } = await paidIntent({ email, name: 'SMTP & <Sons>' });
      const event = await outboxEvent('payment_intent.succeeded', pi.id);
      const settings = { host: '127.0.0.1', port: smtp.port };
      const first = await sendReceiptForEvent(getDb(), event, { smtp: settings, from: 'Shop <receipts@shop.test>' });
      const again = await sendReceiptForEvent(getDb(), event, { smtp: settings, from: 'Shop <receipts@shop.test>' });
      expect(first).toMatchObject({ status: 'sent', sentNow: true, transport: 'smtp' });
      expect(again.sentNow).toBe(false);
      expect(smtp.messages).toHaveLength(1);
      const msg = smtp.messages[0]!;
      expect(msg.rcpt).toEqual([`<${email}>`]);
      expect(msg.data).toContain(`Message-ID: <${first.receiptId}@shop.test>`);
      expect(msg.data).toContain('Subject: Receipt from SMTP & <Sons> (USD 123.45)');
      // the HTML part escapes the merchant's name
      expect(msg.data).toContain('SMTP &amp; &lt;Sons&gt;');
      expect(await messagesTo(email)).toHaveLength(0);
    } finally {
      await smtp.close();
    }
  });
});

/** A minimal SMTP server (no TLS, no auth): enough for nodemailer to deliver one message to it. */
async function startFakeSmtp(): Promise<{ port: number; messages: { rcpt: string[]; data: string }[]; close: () => Promise<void> }> {
  const messages: { rcpt: string[]; data: string }[] = [];
  const server: Server = createServer((socket) => {
    let buffer = '';
    let inData = false;
    let rcpt: string[] = [];
    socket.write('220 fake-smtp ready\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          messages.push({ rcpt, data: buffer.slice(0, end) });
          buffer = buffer.slice(end + 5);
          inData = false;
          rcpt = [];
          socket.write('250 queued\r\n');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250 fake-smtp\r\n');
        else if (verb === 'MAIL') socket.write('250 ok\r\n');
        else if (verb === 'RCPT') {
          rcpt.push(line.replace(/^RCPT TO:/i, '').trim());
          socket.write('250 ok\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
          return;
        } else if (verb === 'RSET' || verb === 'NOOP') socket.write('250 ok\r\n');
        else socket.write('502 not implemented\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, messages, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
