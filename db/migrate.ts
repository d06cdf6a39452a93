import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { createDb } from './client';

const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Applies the committed drizzle-kit migrations; safe to run on every start. `url` is the owner's
 * (the role that creates and owns the tables). Afterwards the app role's grants are applied again
 * (migration 0014_app_role), so every table, including those of later migrations, is covered.
 */
export async function runMigrations(url: string): Promise<void> {
  const { sql, db } = createDb(url, { max: 1 });
  try {
    await sql`select pg_advisory_lock(727001)`; // one migrator at a time across processes
    await migrate(db, { migrationsFolder });
    await sql`select paykit_grant_app_role()`;
  } finally {
    await sql`select pg_advisory_unlock(727001)`.catch(() => undefined);
    await sql.end({ timeout: 5 });
  }
}
