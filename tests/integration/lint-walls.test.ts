import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The import walls in eslint.config.mjs, proved: each snippet breaks one wall from a file in the
// folder the wall guards and must be refused by the rule; the clean snippets in the same folders
// must lint without a single message (of any rule), so the walls do not just refuse everything.
const RULE = '@typescript-eslint/no-restricted-imports';
const root = path.resolve(import.meta.dirname, '../..');

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function lint(filePath: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  return result!.messages;
}

async function wallMessages(filePath: string, code: string): Promise<string[]> {
  return (await lint(filePath, code)).filter((m) => m.ruleId === RULE).map((m) => m.message);
}

const violations: { wall: string; file: string; code: string; says: RegExp }[] = [
  { wall: 'lib/ imports no app/', file: 'lib/payments/x.ts', code: `export { GET } from '@/app/api/v1/dead_letters/route';`, says: /never imports routes or pages/ },
  { wall: 'lib/ imports no next/*', file: 'lib/checkout/x.ts', code: `import { headers } from 'next/headers';\nexport const h = headers;`, says: /framework-free/ },
  { wall: 'lib/ imports no next', file: 'lib/http/x.ts', code: `import { NextResponse } from 'next/server';\nexport const r = NextResponse;`, says: /framework-free/ },
  { wall: 'lib/ imports no inngest/engine', file: 'lib/dead-letters/x.ts', code: `import { replayRun } from '@/inngest/engine';\nexport const r = replayRun;`, says: /embedded engine/ },
  { wall: 'lib/ imports no engine module', file: 'lib/dashboard/x.ts', code: `import { replayRun } from '@/inngest/engine/dead-letters';\nexport const r = replayRun;`, says: /embedded engine/ },
  { wall: 'lib/ imports no sandbox/', file: 'lib/psp/x.ts', code: `import { handleSandboxCardRequest } from '@/sandbox/card';\nexport const h = handleSandboxCardRequest;`, says: /foreign systems/ },
  { wall: 'lib/ imports no sandbox/ by its old lib/ path either', file: 'lib/psp/daraja/x.ts', code: `import { setMpesaFaults } from '@/lib/sandbox/mpesa';\nexport const s = setMpesaFaults;`, says: /foreign systems/ },
  { wall: 'lib/ imports no sandbox/ by a relative path', file: 'lib/psp/x.ts', code: `import { signCallback } from '../../sandbox/card/callbacks';\nexport const s = signCallback;`, says: /foreign systems/ },
  { wall: 'components/ import no db/', file: 'components/pay/x.tsx', code: `import { getDb } from '@/db/client';\nexport const d = getDb;`, says: /no data access/ },
  { wall: 'components/ import no drizzle', file: 'components/dashboard/x.tsx', code: `import { sql } from 'drizzle-orm';\nexport const s = sql;`, says: /no data access/ },
  { wall: 'components/ import no server module values', file: 'components/dashboard/x.tsx', code: `import { listDeadLetters } from '@/lib/dead-letters';\nexport const l = listDeadLetters;`, says: /types from lib/ },
  { wall: 'components/ import no inngest', file: 'components/x.tsx', code: `import { inngest } from '@/inngest/client';\nexport const i = inngest;`, says: /no data access/ },
  { wall: 'app/ runs no SQL (drizzle)', file: 'app/api/v1/x/route.ts', code: `import { sql } from 'drizzle-orm';\nexport const s = sql;`, says: /runs no SQL/ },
  { wall: 'app/ runs no SQL (db client)', file: 'app/dashboard/x/page.tsx', code: `import { getDb } from '@/db/client';\nexport const d = getDb;`, says: /runs no SQL/ },
  { wall: 'app/ runs no SQL (postgres)', file: 'app/api/x/route.ts', code: `import postgres from 'postgres';\nexport const p = postgres;`, says: /runs no SQL/ },
  { wall: 'inngest/functions import no engine', file: 'inngest/functions/x.ts', code: `import { replayRun } from '@/inngest/engine';\nexport const r = replayRun;`, says: /embedded engine/ },
  { wall: 'inngest/functions import no engine (relative)', file: 'inngest/functions/x.ts', code: `import { createRun } from '../engine/store';\nexport const c = createRun;`, says: /embedded engine/ },
  { wall: 'inngest/ imports no sandbox', file: 'inngest/x.ts', code: `import { setMpesaFaults } from '@/sandbox/mpesa';\nexport const s = setMpesaFaults;`, says: /foreign systems/ },
  { wall: 'sandbox/ imports no domain module', file: 'sandbox/card/x.ts', code: `import { recordCapture } from '@/lib/ledger';\nexport const r = recordCapture;`, says: /shared primitives/ },
  { wall: 'sandbox/mpesa imports no domain module', file: 'sandbox/mpesa/x.ts', code: `import { AppError } from '@/lib/errors';\nexport const e = AppError;`, says: /shared primitives/ },
  { wall: 'sandbox/ knows nothing of the app', file: 'sandbox/card/x.ts', code: `import { inngest } from '@/inngest/client';\nexport const i = inngest;`, says: /knows nothing of our app/ },
];

const clean: { what: string; file: string; code: string }[] = [
  { what: 'lib/ using the domain and the db', file: 'lib/payments/x.ts', code: `import { getDb } from '@/db/client';\nimport { formatMoney } from '@/lib/money';\nexport const a = [getDb, formatMoney];` },
  { what: 'a lib/ unit test setting up a sandbox', file: 'lib/psp/x.test.ts', code: `import { setMpesaFaults } from '@/sandbox/mpesa';\nimport { handleSandboxCardRequest } from '@/sandbox/card';\nexport const a = [setMpesaFaults, handleSandboxCardRequest];` },
  { what: 'components/ with types from lib and values from lib/money', file: 'components/dashboard/x.tsx', code: `import type { PaymentRow } from '@/lib/dashboard/payments';\nimport { formatMoney } from '@/lib/money';\nexport const f = (row: PaymentRow) => formatMoney(row.amount, row.currency);` },
  { what: 'app/ calling lib/ and the sandbox routes', file: 'app/api/sandbox/card/x/route.ts', code: `import { handleSandboxCardRequest } from '@/sandbox/card';\nimport { listDeadLetters } from '@/lib/dead-letters';\nexport const a = [handleSandboxCardRequest, listDeadLetters];` },
  { what: 'inngest/functions using lib/ and the db', file: 'inngest/functions/x.ts', code: `import { getDb } from '@/db/client';\nimport { recordDeadLetter } from '@/lib/dead-letters';\nexport const a = [getDb, recordDeadLetter];` },
  { what: 'the engine wiring outside functions', file: 'inngest/x.ts', code: `import { replayRun } from './engine';\nexport const r = replayRun;` },
  { what: 'sandbox/ with its shared primitives', file: 'sandbox/card/x.ts', code: `import { getDb } from '@/db/client';\nimport { env } from '@/lib/env';\nimport { randomToken } from '@/lib/ids';\nimport { isCurrency } from '@/lib/money';\nexport const a = [getDb, env, randomToken, isCurrency];` },
  { what: 'tests importing anything for setup', file: 'tests/integration/x.test.ts', code: `import { replayRun } from '@/inngest/engine';\nimport { setMpesaFaults } from '@/sandbox/mpesa';\nimport { sql } from 'drizzle-orm';\nexport const a = [replayRun, setMpesaFaults, sql];` },
];

describe('import walls (eslint.config.mjs)', () => {
  it.each(violations)('refuses: $wall', async ({ file, code, says }) => {
    const messages = await wallMessages(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(says);
  });

  it.each(clean)('allows: $what', async ({ file, code }) => {
    expect(await lint(file, code)).toEqual([]);
  });

  it('the files that used to break a wall now keep it', async () => {
    const results = await eslint.lintFiles(['app/dashboard/risk/page.tsx', 'lib/dashboard/webhooks.ts', 'app/api/v1/dead_letters/[[]id]/replay/route.ts']);
    expect(results).toHaveLength(3);
    expect(results.flatMap((r) => r.messages.filter((m) => m.ruleId === RULE))).toEqual([]);
  });
});
