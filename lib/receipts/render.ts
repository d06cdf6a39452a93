import type { Receipt } from '@/db/schema';
import { formatMoney } from '@/lib/money';

/** What a receipt says, the same on the page and in the email. */
export interface ReceiptView {
  id: string;
  kind: 'payment' | 'refund';
  title: string;
  merchantName: string;
  amountLabel: string;
  methodLabel: string;
  /** e.g. "1 December 2026, 21:04 UTC": email clients have no time zone of the reader. */
  dateLabel: string;
  paymentIntentId: string;
  refundId: string | null;
  url: string;
}

export function receiptView(receipt: Receipt, appUrl: string): ReceiptView {
  return {
    id: receipt.id,
    kind: receipt.kind,
    title: receipt.kind === 'refund' ? `Refund from ${receipt.merchantName}` : `Receipt from ${receipt.merchantName}`,
    merchantName: receipt.merchantName,
    amountLabel: formatMoney(receipt.amount, receipt.currency),
    methodLabel: receipt.methodLabel,
    dateLabel: formatDate(receipt.occurredAt),
    paymentIntentId: receipt.paymentIntentId,
    refundId: receipt.refundId,
    url: `${appUrl.replace(/\/$/, '')}/receipts/${receipt.id}`,
  };
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function formatDate(d: Date): string {
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderReceiptEmail(view: ReceiptView): RenderedEmail {
  const amountLine = view.kind === 'refund' ? 'Amount refunded' : 'Amount paid';
  const rows: [string, string][] = [
    [amountLine, view.amountLabel],
    [view.kind === 'refund' ? 'Refunded to' : 'Paid with', view.methodLabel],
    ['Date', view.dateLabel],
    ['Receipt number', view.id],
  ];
  const subject = `${view.title} (${view.amountLabel})`;
  const text = [
    view.title,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    '',
    view.kind === 'refund'
      ? 'The refund is on its way back to you; depending on your bank it can take 5-10 days to appear.'
      : `Thank you for your payment to ${view.merchantName}.`,
    `View this receipt online: ${view.url}`,
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1a1f36;max-width:480px;margin:0 auto;padding:24px">',
    `<h1 style="font-size:20px">${escapeHtml(view.title)}</h1>`,
    '<table style="width:100%;border-collapse:collapse">',
    ...rows.map(
      ([k, v]) =>
        `<tr><td style="padding:6px 0;color:#697386">${escapeHtml(k)}</td><td style="padding:6px 0;text-align:right">${escapeHtml(v)}</td></tr>`,
    ),
    '</table>',
    `<p><a href="${escapeHtml(view.url)}">View this receipt online</a></p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
