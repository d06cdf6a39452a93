import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { envSchema } from '@/lib/env';
import { generateInstallSecrets, INSTALL_SECRET_NAMES, type InstallSecretName, type InstallSecrets } from '@/lib/env/secrets';
import type { EnvVars } from './env-vars';

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

/** Where `npm start` keeps the install secrets (mode 0600, inside the data dir). */
export function installSecretsFile(dataDir: string): string {
  return path.join(dataDir, 'secrets.json');
}

/** A stored value is kept only if the app would accept it (format and length, as lib/env checks). */
function acceptable(name: InstallSecretName, value: unknown): value is string {
  return typeof value === 'string' && value !== '' && envSchema.shape[name].safeParse(value).success;
}

async function readStoredSecrets(file: string): Promise<Record<string, unknown>> {
  const text = await readTextIfExists(file);
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {}; // unreadable: regenerated below (nothing else can have used a file that does not parse)
  }
}

/**
 * The install secrets (lib/env/secrets.ts), generated on first start and kept in one private
 * file in the data dir, so they survive restarts and differ between installs. A missing or
 * invalid entry is generated and added; entries already there are never changed. The
 * `auth-secret` file of earlier versions is adopted so dashboard logins survive the upgrade.
 */
export async function loadOrCreateInstallSecrets(dataDir: string): Promise<InstallSecrets> {
  const file = installSecretsFile(dataDir);
  const stored = await readStoredSecrets(file);
  const legacyAuthSecret = (await readTextIfExists(path.join(dataDir, 'auth-secret')))?.trim();
  const fresh = generateInstallSecrets();
  const secrets = {} as InstallSecrets;
  let changed = false;
  for (const name of INSTALL_SECRET_NAMES) {
    const existing = stored[name];
    if (acceptable(name, existing)) {
      secrets[name] = existing;
      continue;
    }
    secrets[name] = name === 'AUTH_SECRET' && acceptable(name, legacyAuthSecret) ? legacyAuthSecret : fresh[name];
    changed = true;
  }
  if (changed) await writePrivateFile(file, `${JSON.stringify(secrets, null, 2)}\n`);
  else await fs.chmod(file, 0o600); // keep it private even if someone loosened it
  return secrets;
}

/**
 * What the app and engine processes get: each install secret from the environment when the
 * operator set one (it wins), otherwise from the data dir's secrets file.
 */
export async function installSecretsEnv(dataDir: string, base: EnvVars): Promise<InstallSecrets> {
  const stored = await loadOrCreateInstallSecrets(dataDir);
  return Object.fromEntries(INSTALL_SECRET_NAMES.map((name) => [name, base[name] || stored[name]])) as InstallSecrets;
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
