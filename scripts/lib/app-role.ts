import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { readTextIfExists, writePrivateFile } from './data-files';

/**
 * The embedded Postgres's app-role password: made on first start and kept in the data dir (0600),
 * so every install has its own and restarts keep it.
 */
export async function loadOrCreateAppRolePassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'db-app-password');
  const existing = (await readTextIfExists(file))?.trim();
  if (existing && /^[A-Za-z0-9_-]{24,}$/.test(existing)) return existing;
  const password = randomBytes(32).toString('base64url');
  await writePrivateFile(file, `${password}\n`);
  return password;
}
