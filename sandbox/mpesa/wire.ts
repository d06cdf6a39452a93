import { randomBytes, randomInt } from 'node:crypto';

/**
 * Daraja's wire conventions, at the edge only: money is cents (bigint) inside the sandbox and a
 * decimal string or number on the wire; times are Nairobi local time (UTC+3, no DST).
 */

const NAIROBI_OFFSET_MS = 3 * 60 * 60 * 1000;

/** A wire amount ("150", "150.5", 150, 150.25) as cents; null when it is not a non-negative amount with at most 2 decimals. */
export function centsFromWire(value: unknown): bigint | null {
  const text =
    typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : typeof value === 'string' ? value.trim() : '';
  const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) return null;
  return BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
}

/** Cents as Daraja's decimal string, e.g. 15000n -> "150.00". */
export function wireAmount(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** Whole shillings as a JSON number where Daraja sends one (B2C TransactionAmount, STK Amount). */
export function wireNumber(cents: bigint): number {
  return Number(cents) / 100;
}

function nairobi(at: Date): string {
  return new Date(at.getTime() + NAIROBI_OFFSET_MS).toISOString();
}

/** YYYYMMDDHHmmss, Nairobi time (C2B TransTime, BOCompletedTime, STK TransactionDate). */
export function compactStamp(at: Date): string {
  return nairobi(at).replace(/[-:T]/g, '').slice(0, 14);
}

/** DD.MM.YYYY HH:mm:ss, Nairobi time (B2C TransactionCompletedDateTime, reversal TransCompletedTime). */
export function dottedStamp(at: Date): string {
  const d = nairobi(at);
  return `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)} ${d.slice(11, 19)}`;
}

/** YYYY-MM-DD HH:mm:ss, Nairobi time (Pull Transactions trxDate and its StartDate/EndDate). */
export function spacedStamp(at: Date): string {
  return nairobi(at).slice(0, 19).replace('T', ' ');
}

/** Parses Pull Transactions' "YYYY-MM-DD HH:mm:ss" (Nairobi time); also accepts a "T" separator. */
export function parseSpacedStamp(text: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s) - NAIROBI_OFFSET_MS);
  // a date that rolled over (2026-02-30, 25:00) does not print back the same
  const normalized = `${match[1]}-${match[2]}-${match[3]} ${match[4]!.padStart(2, '0')}:${match[5]}:${match[6]}`;
  return !Number.isNaN(at.getTime()) && spacedStamp(at) === normalized ? at : null;
}

const RECEIPT_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** An M-Pesa receipt: a letter for the year, one for the month, then 8 characters (e.g. SLB3XK9T2Q). */
export function receiptNumber(now = new Date()): string {
  const year = String.fromCharCode(65 + ((now.getUTCFullYear() - 2006) % 26));
  const month = String.fromCharCode(65 + now.getUTCMonth());
  return `${year}${month}${Array.from({ length: 8 }, () => RECEIPT_ALPHABET[randomInt(RECEIPT_ALPHABET.length)]).join('')}`;
}

/** Daraja's ConversationID, e.g. AG_20261201_2010a1b2c3d4e5f6a7b8. */
export function conversationId(now = new Date()): string {
  return `AG_${compactStamp(now).slice(0, 8)}_${randomBytes(10).toString('hex')}`;
}

/** An OriginatorConversationID when the caller sends none (v1 APIs), e.g. 12345-67890123-1. */
export function originatorConversationId(): string {
  return `${randomInt(10_000, 99_999)}-${randomInt(10_000_000, 99_999_999)}-1`;
}

export interface ResultParameter {
  Key: string;
  Value?: string | number;
}

/** The asynchronous Result Daraja POSTs to ResultURL (and, on a queue timeout, to QueueTimeOutURL). */
export interface DarajaResult {
  Result: {
    ResultType: number;
    ResultCode: number | string;
    ResultDesc: string;
    OriginatorConversationID: string;
    ConversationID: string;
    TransactionID: string;
    ResultParameters?: { ResultParameter: ResultParameter[] };
    ReferenceData?: { ReferenceItem: ResultParameter | ResultParameter[] };
  };
}

/** Masks a number the way C2B v2 callbacks do (2547 ***** 126 style: first 6 and last 3 kept). */
export function maskMsisdn(msisdn: string): string {
  return msisdn.length < 10 ? msisdn : `${msisdn.slice(0, 6)}${'*'.repeat(msisdn.length - 9)}${msisdn.slice(-3)}`;
}
