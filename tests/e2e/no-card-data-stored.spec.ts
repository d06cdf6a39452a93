import fs from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { card } from './pages/pay-page';
import { expect, test } from './fixtures';
import { E2E_DATA_DIR, E2E_SERVER_LOG } from './e2e-paths';

const PAN = '4242424242424242';
/** Distinctive enough to search for, unlike 123. */
const CVC = '918';

/** Every way the number could have been written down. */
const PAN_FORMS = [PAN, '4242 4242 4242 4242', '4242-4242-4242-4242'];
/** A CVC stored or logged under any usual name, e.g. "cvc":"918" or cvc=918. */
const CVC_FIELD = /["']?(cvc|cvv|cvc2|cvv2|csc|card_?cvc|security_?code)["']?\s*[:=]\s*["']?\d{3,4}/i;


async function databaseUrl(): Promise<string> {
  const runtime = JSON.parse(await fs.readFile(path.join(E2E_DATA_DIR, 'runtime.json'), 'utf8')) as {
    databaseUrl?: string;
  };
  if (!runtime.databaseUrl) throw new Error(`${E2E_DATA_DIR}/runtime.json has no databaseUrl`);
  return runtime.databaseUrl;
}

function findings(text: string, where: string): string[] {
  const out: string[] = [];
  for (const form of PAN_FORMS) if (text.includes(form)) out.push(`${where}: contains the card number as "${form}"`);
  const cvc = CVC_FIELD.exec(text);
  if (cvc) out.push(`${where}: contains a CVC field (${cvc[0].replace(/\d/g, '#')})`);
  return out;
}

test.describe('card data never reaches our storage', () => {
  test('after a card payment, no card number or CVC is in the database or the server log', async ({
    pay,
    success,
    email,
    startCheckout,
  }) => {
    const sessionId = await startCheckout();
    await pay.pay(email, card('4242 4242 4242 4242', CVC));
    await success.expectPaid(sessionId);

    const sql = postgres(await databaseUrl(), { max: 1, onnotice: () => undefined });
    const problems: string[] = [];
    try {
      const columns = await sql<{ table_name: string; column_name: string }[]>`
        select table_name, column_name from information_schema.columns
        where table_schema = 'public' and column_name ~* '^(cvc|cvv|cvc2|cvv2|csc|card_cvc|card_number|pan)$'`;
      for (const c of columns) problems.push(`column ${c.table_name}.${c.column_name} looks like it holds card data`);

      const tables = await sql<{ table_name: string }[]>`
        select table_name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`;
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['payment_attempts', 'sandbox_card_tokens']));
      let rowsScanned = 0;
      for (const { table_name } of tables) {
        const rows = await sql.unsafe<{ row: string }[]>(`select t::text as row from "${table_name.replace(/"/g, '""')}" t`);
        rowsScanned += rows.length;
        for (const { row } of rows) problems.push(...findings(row, `table ${table_name}`));
      }
      expect(rowsScanned).toBeGreaterThan(0);
      // The payment itself is there, with only brand and last4.
      const attempts = await sql<
        { row: string }[]
      >`select t::text as row from payment_attempts t where t.customer_email = ${email}`;
      expect(attempts.length).toBeGreaterThan(0);
      expect(attempts.map((a) => a.row).join('\n')).toContain('4242');
    } finally {
      await sql.end({ timeout: 5 });
    }

    const log = await fs.readFile(E2E_SERVER_LOG, 'utf8');
    expect(log.length).toBeGreaterThan(0);
    problems.push(...findings(log, 'server log'));

    expect(problems).toEqual([]);
  });
});
