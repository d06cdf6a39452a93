import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { listMailbox, localMailboxVisible } from '@/lib/receipts';
import styles from '../../receipts/receipts.module.css';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Local mailbox', robots: { index: false, follow: false } };

/**
 * The email paykit would have sent, when no SMTP server is configured. Development and the demo
 * only (DEV_MAILBOX, which `npm start` sets outside production): it shows customers' addresses.
 */
export default async function MailboxPage({ searchParams }: { searchParams: Promise<{ to?: string | string[] }> }) {
  if (!localMailboxVisible()) notFound();
  const { to } = await searchParams;
  const address = typeof to === 'string' && to.length <= 320 ? to : undefined;
  const messages = await listMailbox({ ...(address ? { to: address } : {}), limit: 50 });
  return (
    <main id="main" className={styles.shell}>
      <section className={`${styles.card} ${styles.mailbox}`} aria-labelledby="mailbox-heading">
        <h1 id="mailbox-heading">Local mailbox</h1>
        <p className="muted">
          No SMTP server is configured, so email stays here. Set SMTP_URL (or SMTP_HOST) to send it for real.
          {address ? ` Showing mail to ${address}.` : ''}
        </p>
        {messages.length === 0 && <p data-testid="mailbox-empty">No messages yet.</p>}
        <ol className={styles.messageList} data-testid="mailbox-messages">
          {messages.map((m) => (
            <li key={m.id} className={styles.message} data-testid="mailbox-message">
              <h2 className="small" data-testid="mailbox-subject">
                {m.subject}
              </h2>
              <p className="muted small">
                To <span data-testid="mailbox-to">{m.to}</span> · from {m.from} · {m.createdAt.toISOString()}
              </p>
              <pre data-testid="mailbox-text">{m.text}</pre>
              <a href={`/receipts/${m.receiptId}`} data-testid="mailbox-receipt-link">
                Open the receipt page
              </a>
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}
