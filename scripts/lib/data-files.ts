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

export interface EngineKeys {
  signingKey: string;
  eventKey: string;
}

/**
 * The keys the app and the embedded engine share: the engine signs calls to /api/inngest with
 * the signing key, the app sends events with the event key. Made once and kept in the data dir.
 */
export async function loadOrCreateEngineKeys(dataDir: string): Promise<EngineKeys> {
  const file = path.join(dataDir, 'engine-keys.json');
  const existing = await readTextIfExists(file);
  if (existing) {
    try {
      const parsed = JSON.parse(existing) as Partial<EngineKeys>;
      if (parsed.signingKey && /^signkey-\w+-[0-9a-f]{64}$/.test(parsed.signingKey) && parsed.eventKey && parsed.eventKey.length >= 16) {
        return { signingKey: parsed.signingKey, eventKey: parsed.eventKey };
      }
    } catch {
      /* rewritten below */
    }
  }
  const keys = { signingKey: `signkey-local-${randomBytes(32).toString('hex')}`, eventKey: randomBytes(24).toString('hex') };
  await writePrivateFile(file, `${JSON.stringify(keys, null, 2)}\n`);
  return keys;
}
