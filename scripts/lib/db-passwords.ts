import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { readTextIfExists, writePrivateFile } from './data-files';

const PASSWORD = /^[A-Za-z0-9_-]{24,}$/;

/**
 * The embedded Postgres's app-role password: made on first start and kept in the data dir (0600),
 * so every install has its own and restarts keep it.
 */
export function loadOrCreateAppRolePassword(dataDir: string): Promise<string> {
  return loadOrCreatePassword(path.join(dataDir, 'db-app-password'));
}

/** The embedded Postgres's superuser (owner) password, likewise: it migrates, the app never uses it. */
export function loadOrCreateOwnerPassword(dataDir: string): Promise<string> {
  return loadOrCreatePassword(path.join(dataDir, 'db-owner-password'));
}

async function loadOrCreatePassword(file: string): Promise<string> {
  const existing = (await readTextIfExists(file))?.trim();
  if (existing && PASSWORD.test(existing)) return existing;
  const password = randomBytes(32).toString('base64url');
  await writePrivateFile(file, `${password}\n`);
  return password;
}
