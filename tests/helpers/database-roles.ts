import { inject } from 'vitest';
import { withDatabase } from '../../db/embedded';

/** This test file's database (DATABASE_URL, the app role's) as its owner: for tests that need more than rows. */
export function ownerDatabaseUrl(): string {
  const appUrl = process.env.DATABASE_URL;
  if (!appUrl) throw new Error('DATABASE_URL is not set: setup-database.ts sets it');
  return withDatabase(inject('postgresUrl'), new URL(appUrl).pathname.slice(1));
}
