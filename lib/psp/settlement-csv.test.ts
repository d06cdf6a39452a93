import { describe, expect, it } from 'vitest';
import { readSettlementCsv, splitCsvRecord } from './settlement-csv';

const HEADER = 'line_id,type,psp_reference,merchant_reference,gross,fee,net,currency,booked_at,available_on,payout_batch_id\n';
const LINE = 'sl_1,charge,sbxpay_1,"pa_1:authorize, ""quoted""",6001,90,5911,USD,2026-11-30T10:00:00.000Z,2026-12-01T00:00:00.000Z,pb_20261201\n';

async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function read(text: string, size = 7) {
  const out = [];
  for await (const line of readSettlementCsv(chunks(text, size), 'test')) out.push(line);
  return out;
}

describe('settlement file reader', () => {
  it('reads lines split across chunks anywhere, with quoted fields, lower-casing the currency', async () => {
    const lines = await read(`${HEADER}${LINE}${LINE.replace('sl_1', 'sl_2')}#eof,2\n`, 5);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ lineId: 'sl_1', type: 'charge', pspReference: 'sbxpay_1', merchantReference: 'pa_1:authorize, "quoted"', grossMinor: 6001, feeMinor: 90, netMinor: 5911, currency: 'usd', payoutBatchId: 'pb_20261201' });
    expect(lines[0]!.bookedAt.toISOString()).toBe('2026-11-30T10:00:00.000Z');
  });

  it('fails a file cut short (no trailer) or whose trailer miscounts, instead of passing it for a shorter day', async () => {
    await expect(read(`${HEADER}${LINE}`)).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringMatching(/cut short/) });
    await expect(read(`${HEADER}${LINE}#eof,3\n`)).rejects.toMatchObject({ kind: 'bad_response' });
    await expect(read(`${HEADER}#eof,0\n${LINE}`)).rejects.toMatchObject({ kind: 'bad_response' });
  });

  it('refuses a wrong header, a net that is not gross - fee, a non-integer amount and a bad date', async () => {
    await expect(read(`line_id,type\n#eof,0\n`)).rejects.toMatchObject({ kind: 'bad_response' });
    await expect(read(`${HEADER}${LINE.replace(',5911,', ',5912,')}#eof,1\n`)).rejects.toThrow(/line 2 is malformed/);
    await expect(read(`${HEADER}${LINE.replace(',6001,', ',60.01,')}#eof,1\n`)).rejects.toThrow(/malformed/);
    await expect(read(`${HEADER}${LINE.replace('2026-11-30T10:00:00.000Z', 'yesterday')}#eof,1\n`)).rejects.toThrow(/malformed/);
  });

  it('splits RFC 4180 records', () => {
    expect(splitCsvRecord('a,"b,c",,"d""e"')).toEqual(['a', 'b,c', '', 'd"e']);
    expect(() => splitCsvRecord('"open')).toThrow();
  });
});
