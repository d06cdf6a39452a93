import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getSql } from '@/db/client';
import type { ReportLine } from '@/lib/psp/types';

/**
 * Stages a PSP report with COPY: the lines stream from the PSP's response straight into
 * recon_staging, a batch of rows per write, so memory stays flat however big the file is. The
 * report's hash is computed on the way through (a re-run of the same report finds its run by it).
 */

export interface StagedReport {
  lines: number;
  hash: string;
}

// COPY's text format: tab-separated, \N for null, backslash escapes for the few special bytes.
function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** One line as the hash sees it: every field, in a fixed order, unambiguously separated. */
function canonical(line: ReportLine): string {
  // Unit separators cannot occur in a valid field, so the join is unambiguous (and cheap per line).
  return [line.lineId, line.type, line.pspReference ?? '\u0000', line.merchantReference ?? '\u0000', line.grossMinor, line.feeMinor, line.netMinor, line.currency, line.bookedAt.getTime(), line.availableOn.getTime(), line.payoutBatchId ?? '\u0000', line.phone ?? '\u0000'].join('\u001f');
}

const ROWS_PER_CHUNK = 2_000;

async function* copyRows(runId: string, lines: AsyncIterable<ReportLine>, seen: { lines: number; hash: ReturnType<typeof createHash> }): AsyncGenerator<string> {
  let chunk = '';
  let inChunk = 0;
  for await (const line of lines) {
    seen.lines += 1;
    seen.hash.update(canonical(line)).update('\n');
    chunk += `${[
      runId,
      String(seen.lines),
      copyText(line.lineId),
      line.type,
      copyText(line.pspReference),
      copyText(line.merchantReference),
      String(line.grossMinor),
      String(line.feeMinor),
      String(line.netMinor),
      copyText(line.currency),
      line.bookedAt.toISOString(),
      line.availableOn.toISOString(),
      copyText(line.payoutBatchId),
      copyText(line.phone),
    ].join('\t')}\n`;
    inChunk += 1;
    if (inChunk === ROWS_PER_CHUNK) {
      yield chunk;
      chunk = '';
      inChunk = 0;
    }
  }
  if (chunk) yield chunk;
}

export async function stageReport(runId: string, lines: AsyncIterable<ReportLine>): Promise<StagedReport> {
  const seen = { lines: 0, hash: createHash('sha256') };
  const sql = getSql();
  const writable = await sql`
    copy recon_staging (run_id, line_no, line_id, type, psp_reference, merchant_reference, gross_minor, fee_minor, net_minor,
                        currency, booked_at, available_on, payout_batch_id, phone) from stdin`.writable();
  await pipeline(Readable.from(copyRows(runId, lines, seen)), writable);
  // Fresh statistics, so the matching statement plans hash joins for a big file (autovacuum has
  // not seen these rows yet; a plan for "a few rows" would be nested loops over a million).
  await sql`analyze recon_staging`;
  return { lines: seen.lines, hash: seen.hash.digest('hex') };
}

/** The staged rows of a run are only needed until its lines are classified. */
export async function dropStaged(runId: string): Promise<void> {
  await getSql()`delete from recon_staging where run_id = ${runId}`;
}
