/**
 * `npm run db:migrate`: applies the committed migrations to MIGRATION_DATABASE_URL (the owner) or
 * DATABASE_URL, or to the embedded
 * Postgres on the data dir (the one `npm start` uses; reused if it is running).
 */
import { runMigrations } from '@/db/migrate';
import { EnvError, parseEnv } from '@/lib/env';
import { openCliDatabase, redactDatabaseUrl } from './lib/database';
import { loadDotEnvFiles } from './lib/dotenv';
import { StartupError } from './lib/errors';
import { REPO_ROOT, resolveDataDir, resolveEmbeddedPgPort } from './lib/paths';

async function main(): Promise<number> {
  loadDotEnvFiles(REPO_ROOT);
  const env = parseEnv(process.env);
  // openCliDatabase migrates an embedded Postgres it starts itself; running again is a no-op.
  const database = await openCliDatabase({
    databaseUrl: env.DATABASE_URL,
    migrationDatabaseUrl: env.MIGRATION_DATABASE_URL,
    dataDir: resolveDataDir(process.env),
    embeddedPort: resolveEmbeddedPgPort(process.env),
  });
  try {
    await runMigrations(database.ownerUrl);
    console.log(`Migrations applied to ${redactDatabaseUrl(database.ownerUrl)} (${database.source}).`);
  } finally {
    await database.stop();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const expected = err instanceof EnvError || err instanceof StartupError;
    console.error(expected ? `Error: ${err.message}` : err);
    process.exit(1);
  },
);
