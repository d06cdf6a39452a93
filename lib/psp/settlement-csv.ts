import { PspError, type ReportLine } from './types';

/**
 * Reads an acquirer settlement file (CSV with a header row, RFC 4180 quoting) as it streams in:
 * one line at a time, so a file of millions of lines never sits in memory. Every row is checked;
 * a row that does not fit is a bad_response naming its line number (nothing of the file is used).
 */

const COLUMNS = ['line_id', 'type', 'psp_reference', 'merchant_reference', 'gross', 'fee', 'net', 'currency', 'booked_at', 'available_on', 'payout_batch_id'] as const;

const TYPES = new Set(['charge', 'refund', 'chargeback', 'fee_adjustment'] as const);
type LineType = ReportLine['type'];
const INTEGER = /^-?\d{1,16}$/;
const CURRENCY = /^[a-zA-Z]{3}$/;
// ISO 8601 instants as acquirers write them (the hot path of a million-line file: no zod per row).
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

function toInteger(value: string): number | null {
  if (!INTEGER.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

function toInstant(value: string): Date | null {
  if (!INSTANT.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** One data record as a line, or null when any field does not fit (net must be gross - fee). */
function toLine(f: string[]): ReportLine | null {
  if (f.length !== COLUMNS.length) return null;
  const [lineId, type, pspReference, merchantReference, grossText, feeText, netText, currency, bookedText, availableText, batch] = f as [string, string, string, string, string, string, string, string, string, string, string];
  if (lineId === '' || lineId.length > 255 || !TYPES.has(type as LineType) || !CURRENCY.test(currency)) return null;
  const gross = toInteger(grossText);
  const fee = toInteger(feeText);
  const net = toInteger(netText);
  const bookedAt = toInstant(bookedText);
  const availableOn = toInstant(availableText);
  if (gross === null || fee === null || net === null || !bookedAt || !availableOn || gross - fee !== net) return null;
  return {
    lineId,
    type: type as LineType,
    pspReference: pspReference === '' ? null : pspReference,
    merchantReference: merchantReference === '' ? null : merchantReference,
    grossMinor: gross,
    feeMinor: fee,
    netMinor: net,
    currency: currency.toLowerCase(),
    bookedAt,
    availableOn,
    payoutBatchId: batch === '' ? null : batch,
  };
}

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
      fields = record.includes('"') ? splitCsvRecord(record) : record.split(',');
    } catch (err) {
      throw new PspError('bad_response', `${psp}: settlement file line ${lineNo}: ${(err as Error).message}`, true);
    }
    const line = toLine(fields);
    if (!line) throw new PspError('bad_response', `${psp}: settlement file line ${lineNo} is malformed`, true);
    data += 1;
    yield line;
  }
  if (!ended) throw new PspError('bad_response', `${psp}: the settlement file ended without its trailer (cut short)`, true);
}
