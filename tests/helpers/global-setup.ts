import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, withDatabase, type EmbeddedDatabase } from '../../db/embedded';
import { runMigrations } from '../../db/migrate';
import { enableAppRoleLogin } from '../../db/roles';
import { freePort } from '../../scripts/lib/ports';

export { freePort };

export const TEMPLATE_DB = 'paykit_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The owner (superuser) of the server: creates databases, runs migrations, inspects catalogs. */
    postgresUrl: string;
    /** The same server as the app role (no DDL, append-only journal): what the app runs as. */
    appPostgresUrl: string;
    templateDatabase: string;
  }
}


let embedded: EmbeddedDatabase | undefined;
let tmpRoot: string | undefined;

/**
 * One Postgres for the whole run: the embedded one, or TEST_DATABASE_URL (a superuser's) when given.
 * A template database gets the migrations once, as the owner; each test file then clones it and
 * connects as the app role (see setup-database.ts).
 */
export async function setup(project: TestProject): Promise<void> {
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-test-'));
    await fs.chmod(tmpRoot, 0o777);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(tmpRoot, 'pg'), port: await freePort(), persistent: false });
    serverUrl = embedded.url;
  }
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
    await admin.unsafe(`create database ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  await runMigrations(withDatabase(serverUrl, TEMPLATE_DB));
  // The suite runs as the app role, as `npm start` does, so every test proves the app needs no more.
  const appUrl = await enableAppRoleLogin(serverUrl, randomBytes(24).toString('base64url'));
  project.provide('postgresUrl', serverUrl);
  project.provide('appPostgresUrl', appUrl);
  project.provide('templateDatabase', TEMPLATE_DB);
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
  if (tmpRoot) await fs.rm(tmpRoot, { recursive: true, force: true });
}
