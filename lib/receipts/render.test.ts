import { describe, expect, it } from 'vitest';
import type { Receipt } from '@/db/schema';
import { cardBrandName, methodLabel } from './method-label';
import { receiptView, renderReceiptEmail } from './render';
import { smtpSettings } from './transport';

const receipt = (over: Partial<Receipt> = {}): Receipt => ({
  id: 'rcpt_AAAAAAAAAAAAAAAAAAAAAAAA',
  eventId: 'evt_1',
  merchantId: 'mer_1',
  kind: 'payment',
  paymentIntentId: 'pi_1',
  refundId: null,
  merchantName: 'Kahawa & <Co>',
  amount: 150_050,
  currency: 'kes',
  methodLabel: 'M-Pesa QKX12AB34C',
  email: 'a@example.test',
  status: 'pending',
  skipReason: null,
  occurredAt: new Date('2026-12-01T09:05:00Z'),
  createdAt: new Date(),
  sentAt: null,
  ...over,
});

describe('receipt rendering', () => {
  it('names brands as people write them, and never shows more than the last four', () => {
    expect(cardBrandName('visa')).toBe('Visa');
    expect(cardBrandName('VISA')).toBe('Visa');
    expect(cardBrandName('amex')).toBe('American Express');
    expect(cardBrandName('elo')).toBe('Elo');
    expect(methodLabel({ card: { brand: 'mastercard', last4: '4444' } })).toBe('Mastercard •••• 4444');
    expect(methodLabel({ mpesaReceipt: 'QKX12AB34C' })).toBe('M-Pesa QKX12AB34C');
    expect(methodLabel({ paymentMethodType: 'mpesa' })).toBe('M-Pesa');
  });

  it('says the same on the page and in the email, with the date in UTC and the URL of the receipt page', () => {
    const view = receiptView(receipt(), 'https://pay.example/');
    expect(view).toMatchObject({
      title: 'Receipt from Kahawa & <Co>',
      amountLabel: 'KES 1,500.50',
      dateLabel: '1 December 2026, 09:05 UTC',
      url: 'https://pay.example/receipts/rcpt_AAAAAAAAAAAAAAAAAAAAAAAA',
    });
    const mail = renderReceiptEmail(view);
    expect(mail.subject).toBe('Receipt from Kahawa & <Co> (KES 1,500.50)');
    expect(mail.text).toContain('Paid with: M-Pesa QKX12AB34C');
    expect(mail.text).toContain('Date: 1 December 2026, 09:05 UTC');
    // the HTML part escapes what merchants typed
    expect(mail.html).toContain('Receipt from Kahawa &amp; &lt;Co&gt;');
    expect(mail.html).not.toContain('<Co>');
    const refund = renderReceiptEmail(receiptView(receipt({ kind: 'refund', amount: 500 }), 'https://pay.example'));
    expect(refund.subject).toBe('Refund from Kahawa & <Co> (KES 5.00)');
    expect(refund.text).toContain('Amount refunded: KES 5.00');
  });

  it('uses SMTP only when a URL or a host is set', () => {
    expect(smtpSettings({ SMTP_PORT: 587 })).toBeNull();
    expect(smtpSettings({ SMTP_URL: 'smtps://u:p@mail.example', SMTP_PORT: 587 })).toEqual({ url: 'smtps://u:p@mail.example' });
    expect(smtpSettings({ SMTP_HOST: 'mail.example', SMTP_PORT: 465, SMTP_USER: 'u', SMTP_PASS: 'p' })).toEqual({ host: 'mail.example', port: 465, user: 'u', pass: 'p' });
  });
});
