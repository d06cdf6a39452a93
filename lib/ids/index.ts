import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export const ID_PREFIXES = {
  merchant: 'mer',
  user: 'usr',
  apiKey: 'key',
  paymentIntent: 'pi',
  paymentAttempt: 'pa',
  checkoutSession: 'cs',
  event: 'evt',
  product: 'prod',
  blocklistEntry: 'bl',
  refund: 're',
  auditEntry: 'aud',
  webhookEndpoint: 'we',
  webhookDelivery: 'whd',
  webhookAttempt: 'wha',
  inboxMessage: 'inb',
  paymentDispute: 'dp',
  journalTransaction: 'jtx',
  journalEntry: 'je',
  loginAttempt: 'la',
  apiRequestLogEntry: 'arl',
  receipt: 'rcpt',
  mailboxMessage: 'msg',
  paymentMethod: 'pm',
  reconRun: 'rcn',
  reconException: 'rex',
  operator: 'opr',
  operatorAuditEntry: 'oaud',
  payout: 'po',
  customer: 'cus',
  price: 'price',
  lineItem: 'li',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/** Random base62 string; 24 chars carry ~142 bits of entropy. */
export function randomToken(length = 24): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    const b = bytes[i]!;
    // rejection sampling keeps the distribution uniform (248 = 62 * 4)
    if (b < 248) out += ALPHABET[b % 62];
  }
  if (out.length < length) return out + randomToken(length - out.length);
  return out;
}

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomToken(24)}`;
}

export function hasPrefix(id: string, kind: IdKind): boolean {
  return id.startsWith(`${ID_PREFIXES[kind]}_`) && /^[a-z]+_[0-9A-Za-z]{8,64}$/.test(id);
}
