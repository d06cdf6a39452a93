import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Writes a file only its owner can read: it holds credentials. */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content, { mode: 0o600 });
  // writeFile's mode only applies when the file is created; tighten an existing one too.
  await fs.chmod(file, 0o600);
}

export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * AUTH_SECRET signs dashboard sessions; generating it once and keeping it in the data dir means
 * logins survive restarts without any configuration.
 */
export async function loadOrCreateAuthSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'auth-secret');
  const existing = (await readTextIfExists(file))?.trim();
  if (existing && existing.length >= 16) return existing;
  const secret = randomBytes(32).toString('base64url');
  await writePrivateFile(file, `${secret}\n`);
  return secret;
}
