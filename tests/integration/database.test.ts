import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';

describe('test database', () => {
  it('is an isolated clone with every migration applied', async () => {
    const rows = await getDb().execute<{ name: string }>(sql`select current_database() as name`);
    expect(rows[0]?.name).toMatch(/^paykit_t_/);
    const tables = await getDb().execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['payment_intents', 'outbox_events', 'idempotency_keys']));
  });
});
