import nodemailer from 'nodemailer';
import type { Env } from '@/lib/env';

export interface OutgoingMail {
  /** The receipt id: the Message-ID, so a receiving server or client can spot a resend. */
  receiptId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** SMTP when configured; otherwise null, and mail goes to the local mailbox. */
export type SmtpSettings = { url: string } | { host: string; port: number; user?: string; pass?: string };

export function smtpSettings(e: Pick<Env, 'SMTP_URL' | 'SMTP_HOST' | 'SMTP_PORT' | 'SMTP_USER' | 'SMTP_PASS'>): SmtpSettings | null {
  if (e.SMTP_URL) return { url: e.SMTP_URL };
  if (e.SMTP_HOST) {
    return {
      host: e.SMTP_HOST,
      port: e.SMTP_PORT,
      ...(e.SMTP_USER ? { user: e.SMTP_USER } : {}),
      ...(e.SMTP_PASS ? { pass: e.SMTP_PASS } : {}),
    };
  }
  return null;
}

let cachedTransport: { key: string; transport: nodemailer.Transporter } | undefined;

function transporter(settings: SmtpSettings): nodemailer.Transporter {
  const key = JSON.stringify(settings);
  if (cachedTransport?.key === key) return cachedTransport.transport;
  const transport =
    'url' in settings
      ? nodemailer.createTransport(settings.url)
      : nodemailer.createTransport({
          host: settings.host,
          port: settings.port,
          // 465 is implicit TLS; other ports upgrade with STARTTLS when the server offers it.
          secure: settings.port === 465,
          ...(settings.user ? { auth: { user: settings.user, pass: settings.pass ?? '' } } : {}),
        });
  cachedTransport = { key, transport };
  return transport;
}

export async function sendViaSmtp(settings: SmtpSettings, mail: OutgoingMail): Promise<void> {
  const domain = mail.from.match(/@([^>\s]+)/)?.[1] ?? 'paykit.local';
  await transporter(settings).sendMail({
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: `<${mail.receiptId}@${domain}>`,
  });
}
