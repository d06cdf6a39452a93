import { z } from 'zod';
import { PspError, type ReportLine } from './types';

/**
 * Reads an acquirer settlement file (CSV with a header row, RFC 4180 quoting) as it streams in:
 * one line at a time, so a file of millions of lines never sits in memory. Every row is checked;
 * a row that does not fit is a bad_response naming its line number (nothing of the file is used).
 */

const COLUMNS = ['line_id', 'type', 'psp_reference', 'merchant_reference', 'gross', 'fee', 'net', 'currency', 'booked_at', 'available_on', 'payout_batch_id'] as const;

const integer = z
  .string()
  .regex(/^-?\d{1,16}$/)
  .transform(Number)
  .refine(Number.isSafeInteger);
const instant = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)))
  .transform((v) => new Date(v));
const optional = z.string().transform((v) => (v === '' ? null : v));

const row = z
  .object({
    line_id: z.string().min(1).max(255),
    type: z.enum(['charge', 'refund', 'chargeback', 'fee_adjustment']),
    psp_reference: optional,
    merchant_reference: optional,
    gross: integer,
    fee: integer,
    net: integer,
    currency: z.string().regex(/^[a-zA-Z]{3}$/).transform((c) => c.toLowerCase()),
    booked_at: instant,
    available_on: instant,
    payout_batch_id: optional,
  })
  .refine((r) => r.gross - r.fee === r.net, 'net must be gross - fee');

/** Splits one CSV record into fields (quoted fields may hold commas and doubled quotes). */
export function splitCsvRecord(record: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (record[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const quote = record.indexOf('"', i);
        if (quote < 0) throw new Error('unterminated quoted field');
        value += record.slice(i, quote);
        if (record[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      const comma = record.indexOf(',', i);
      const end = comma < 0 ? record.length : comma;
      fields.push(record.slice(i, end));
      i = end;
    }
    if (i >= record.length) return fields;
    if (record[i] !== ',') throw new Error('text after a quoted field');
    i += 1;
  }
}

async function* records(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      yield buffered.slice(0, newline).replace(/\r$/, '');
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  if (buffered.trim() !== '') yield buffered.replace(/\r$/, '');
}

/** The trailer record that ends a file (`#eof,<lines>`): without it the file was cut short. */
const TRAILER = '#eof,';

/**
 * The lines of a settlement file body, validated one by one as they arrive. The trailer must come
 * last and count the lines: a connection dropped mid-file fails the read instead of passing for a
 * shorter day.
 */
export async function* readSettlementCsv(body: AsyncIterable<Uint8Array>, psp: string): AsyncGenerator<ReportLine> {
  let lineNo = 0;
  let data = 0;
  let ended = false;
  for await (const record of records(body)) {
    lineNo += 1;
    if (ended) throw new PspError('bad_response', `${psp}: the settlement file goes on after its trailer`, true);
    if (record.startsWith(TRAILER)) {
      if (record.slice(TRAILER.length) !== String(data))
        throw new PspError('bad_response', `${psp}: the settlement file's trailer counts ${record.slice(TRAILER.length)} lines, ${data} came`, true);
      ended = true;
      continue;
    }
    if (lineNo === 1) {
      if (record !== COLUMNS.join(',')) throw new PspError('bad_response', `${psp}: the settlement file's header is not the expected one`, true);
      continue;
    }
    if (record === '') continue;
    let fields: string[];
    try {
      fields = splitCsvRecord(record);
    } catch (err) {
      throw new PspError('bad_response', `${psp}: settlement file line ${lineNo}: ${(err as Error).message}`, true);
    }
    const parsed = row.safeParse(Object.fromEntries(COLUMNS.map((c, i) => [c, fields[i] ?? ''])));
    if (!parsed.success || fields.length !== COLUMNS.length) {
      throw new PspError('bad_response', `${psp}: settlement file line ${lineNo} is malformed`, true);
    }
    const r = parsed.data;
    data += 1;
    yield {
      lineId: r.line_id,
      type: r.type,
      pspReference: r.psp_reference,
      merchantReference: r.merchant_reference,
      grossMinor: r.gross,
      feeMinor: r.fee,
      netMinor: r.net,
      currency: r.currency,
      bookedAt: r.booked_at,
      availableOn: r.available_on,
      payoutBatchId: r.payout_batch_id,
    };
  }
  if (!ended) throw new PspError('bad_response', `${psp}: the settlement file ended without its trailer (cut short)`, true);
}
