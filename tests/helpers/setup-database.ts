import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, inject } from 'vitest';
import { withDatabase } from '../../db/embedded';
import { closeDb } from '../../db/client';
import { generateInstallSecrets } from '../../lib/env/secrets';

// Like `npm start`, every test file runs with install secrets of its own (random, never a
// constant); a file that needs a particular value sets it itself.
for (const [name, value] of Object.entries(generateInstallSecrets())) process.env[name] ||= value;

// Each test file gets its own database, cloned from the migrated template, so files running in
// parallel workers never see each other's rows. The app (DATABASE_URL) connects as the app role;
// a test that needs the owner (catalogs, crash simulation) asks for ownerDatabaseUrl().
const serverUrl = inject('postgresUrl');
const appServerUrl = inject('appPostgresUrl');
const template = inject('templateDatabase');
const dbName = `paykit_t_${randomBytes(6).toString('hex')}`;

const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
await admin.unsafe(`create database ${dbName} template ${template}`);
await admin.end();

process.env.DATABASE_URL = withDatabase(appServerUrl, dbName);

afterAll(async () => {
  await closeDb();
  const cleanup = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  await cleanup.unsafe(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
  await cleanup.end();
});
