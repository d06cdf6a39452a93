import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { captureEventOf, ensureCapturePosted } from '@/lib/ledger';
import { setSettlementFaults } from '@/sandbox/card';
import { attemptOf, createPaidPayment } from '../helpers/factories';
import { apiClient, createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

// `npm run admin -- reconcile` as an operator runs it: a child process against this file's
// database, fetching the sandbox network's file from the running app over HTTP.

const run = promisify(execFile);
const TSX = path.resolve('node_modules/.bin/tsx');
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  setSettlementFaults([]);
  await app.close();
});

async function admin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, ['scripts/admin.ts', ...args], { env: { ...process.env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('npm run admin -- reconcile', () => {
  it('prints the run as JSON; the same report again is a re-run that changes nothing', async () => {
    const api = apiClient(app, (await createTestMerchant()).secretKey);
    const pi = await createPaidPayment(api, { amount: 9_000, currency: 'usd' });
    await ensureCapturePosted(getDb(), await captureEventOf(getDb(), pi.id));
    setSettlementFaults([{ kind: 'fee_different', reference: (await attemptOf(pi.id)).pspReference!, deltaMinor: 9 }]);
    const date = new Date().toISOString().slice(0, 10);

    const first = await admin(['reconcile', '--psp', 'sandbox_card', '--date', date, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(Object.keys(summary)).toEqual(['run_id', 'psp', 'date', 'lines', 'matched', 'healed', 'exceptions', 'rerun']);
    expect(summary).toMatchObject({ psp: 'sandbox_card', date, lines: 1, matched: 0, healed: 1, exceptions: { fee_mismatch: 1 }, rerun: false });
    expect(summary.run_id).toMatch(/^rcn_/);

    const second = JSON.parse((await admin(['reconcile', '--psp', 'sandbox_card', '--date', date, '--json'])).stdout);
    expect(second).toEqual({ ...summary, rerun: true });
  });

  it('refuses bad input with a usage error (exit 2) and an unknown PSP with a domain error (exit 1)', async () => {
    const bad = await admin(['reconcile', '--psp', 'sandbox_card', '--date', '2026-13-01x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--date/);
    const unknown = await admin(['reconcile', '--psp', 'nope', '--date', '2026-11-30']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not a registered PSP/);
    expect(unknown.stdout).toBe('');
  });
});
