import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvError, parseEnv, requireSecret, resetEnvCache } from '@/lib/env';
import { generateInstallSecrets } from '@/lib/env/secrets';
import { installSecretsEnv, installSecretsFile, loadOrCreateInstallSecrets } from '@/scripts/lib/data-files';

/**
 * Attack: on a default install every secret was derived from a constant in the source (the
 * sandbox acquirer key, the callback signing secret derived from it, the Daraja callback token
 * derived from the public consumer secret), so anyone could sign a "captured" callback.
 * Now: no secret has a default, `npm start` generates them per install into the data dir, and
 * production refuses to boot without them or with a publicly known value.
 */

// Written out here rather than imported, so a secret dropped from the list fails this test.
const SECRETS = [
  'AUTH_SECRET',
  'SANDBOX_ACQUIRER_KEY',
  'SANDBOX_CALLBACK_SECRET',
  'DARAJA_CONSUMER_KEY',
  'DARAJA_CONSUMER_SECRET',
  'DARAJA_PASSKEY',
  'DARAJA_CALLBACK_TOKEN',
] as const;

/** The values earlier versions shipped as defaults, and Safaricom's published sandbox passkey. */
const KNOWN_VALUES = {
  SANDBOX_ACQUIRER_KEY: 'sbx_acquirer_local_development_key',
  DARAJA_CONSUMER_KEY: 'paykit_sandbox_consumer_key',
  DARAJA_CONSUMER_SECRET: 'paykit_sandbox_consumer_secret',
  DARAJA_PASSKEY: 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
};

function envIssues(source: Record<string, string | undefined>): string[] {
  try {
    parseEnv(source);
  } catch (err) {
    if (err instanceof EnvError) return err.issues;
    throw err;
  }
  return [];
}

describe('production refuses missing or known secrets', () => {
  it('an empty production environment names every install secret', () => {
    const issues = envIssues({ NODE_ENV: 'production' });
    for (const name of SECRETS) expect(issues.some((i) => i.startsWith(`${name}:`)), `${name} in ${issues.join(' | ')}`).toBe(true);
    expect(issues).toHaveLength(SECRETS.length);
  });

  it('each missing secret is named on its own', () => {
    const secrets = generateInstallSecrets();
    for (const name of SECRETS) {
      const issues = envIssues({ NODE_ENV: 'production', ...secrets, [name]: '' });
      expect(issues).toEqual([expect.stringMatching(new RegExp(`^${name}: required in production`))]);
    }
  });

  it('a publicly known development value is refused, naming the variable', () => {
    const issues = envIssues({ NODE_ENV: 'production', ...generateInstallSecrets(), ...KNOWN_VALUES });
    expect(issues.map((i) => i.split(':')[0]).sort()).toEqual(Object.keys(KNOWN_VALUES).sort());
    for (const issue of issues) expect(issue).toMatch(/publicly known/);
  });

  it('generated secrets pass', () => {
    const env = parseEnv({ NODE_ENV: 'production', ...generateInstallSecrets() });
    for (const name of SECRETS) expect(env[name]).toMatch(/^[A-Za-z0-9_-]{32,}$/);
  });

  it('the server boot (lib/env/boot.ts) exits 1 naming each missing secret', () => {
    const child = spawnSync(
      path.resolve('node_modules/.bin/tsx'),
      ['-e', "import('./lib/env/boot.ts').then((m) => m.validateEnvironmentOrExit()).then(() => console.log('booted'))"],
      {
        cwd: path.resolve('.'),
        encoding: 'utf8',
        timeout: 30_000,
        // nothing inherited: only what a careless deployment would set
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', DATABASE_URL: 'postgres://app@127.0.0.1:5432/paykit' },
      },
    );
    expect(child.status).toBe(1);
    expect(child.stdout).not.toContain('booted');
    for (const name of SECRETS) expect(child.stderr).toContain(`${name}: required in production`);
  });
});

describe('no secret has a default in lib/', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const name of SECRETS) saved[name] = process.env[name];
  });
  afterEach(() => {
    for (const name of SECRETS) process.env[name] = saved[name];
    resetEnvCache();
  });

  it('parsing an empty development environment leaves every secret unset', () => {
    const env = parseEnv({ NODE_ENV: 'development' });
    for (const name of SECRETS) expect(env[name]).toBeUndefined();
  });

  it('using an unset secret fails naming it, instead of falling back to a guessable value', () => {
    for (const name of SECRETS) {
      delete process.env[name];
      resetEnvCache();
      expect(() => requireSecret(name)).toThrow(new RegExp(`${name}: not set`));
      process.env[name] = saved[name];
    }
  });
});

describe('npm start keeps per-install secrets in the data dir', () => {
  const dirs: string[] = [];
  const freshDir = async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-secrets-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  it('creates secrets.json readable by its owner only, and reuses it unchanged on the next start', async () => {
    const dir = await freshDir();
    const first = await loadOrCreateInstallSecrets(dir);
    const file = installSecretsFile(dir);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const text = await fs.readFile(file, 'utf8');
    expect(Object.keys(JSON.parse(text)).sort()).toEqual([...SECRETS].sort());
    // the app accepts them in production
    expect(() => parseEnv({ NODE_ENV: 'production', ...first })).not.toThrow();

    const second = await loadOrCreateInstallSecrets(dir);
    expect(second).toEqual(first);
    expect(await fs.readFile(file, 'utf8')).toBe(text);
  });

  it('two fresh data dirs get different secrets, every one of them', async () => {
    const a = await loadOrCreateInstallSecrets(await freshDir());
    const b = await loadOrCreateInstallSecrets(await freshDir());
    for (const name of SECRETS) expect(a[name]).not.toBe(b[name]);
    expect(new Set(Object.values(a)).size).toBe(SECRETS.length);
  });

  it('repairs a missing or invalid entry without touching the others, and tightens a loosened file', async () => {
    const dir = await freshDir();
    const first = await loadOrCreateInstallSecrets(dir);
    const file = installSecretsFile(dir);
    const { SANDBOX_CALLBACK_SECRET: _dropped, ...rest } = first;
    await fs.writeFile(file, JSON.stringify({ ...rest, DARAJA_CALLBACK_TOKEN: 'short' }));
    await fs.chmod(file, 0o644);
    const repaired = await loadOrCreateInstallSecrets(dir);
    expect(repaired.SANDBOX_CALLBACK_SECRET).not.toBe(first.SANDBOX_CALLBACK_SECRET);
    expect(repaired.DARAJA_CALLBACK_TOKEN).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
    expect(repaired.SANDBOX_ACQUIRER_KEY).toBe(first.SANDBOX_ACQUIRER_KEY);
    expect(repaired.AUTH_SECRET).toBe(first.AUTH_SECRET);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await fs.chmod(file, 0o644);
    await loadOrCreateInstallSecrets(dir);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('keeps the auth secret of an earlier version so dashboard logins survive the upgrade', async () => {
    const dir = await freshDir();
    await fs.writeFile(path.join(dir, 'auth-secret'), 'an-auth-secret-from-before-0123456789\n', { mode: 0o600 });
    expect((await loadOrCreateInstallSecrets(dir)).AUTH_SECRET).toBe('an-auth-secret-from-before-0123456789');
  });

  it('a secret the operator set in the environment wins over the stored one', async () => {
    const dir = await freshDir();
    const stored = await loadOrCreateInstallSecrets(dir);
    const passed = await installSecretsEnv(dir, { SANDBOX_ACQUIRER_KEY: 'operator-chosen-acquirer-key-0123456789' });
    expect(passed.SANDBOX_ACQUIRER_KEY).toBe('operator-chosen-acquirer-key-0123456789');
    expect(passed.SANDBOX_CALLBACK_SECRET).toBe(stored.SANDBOX_CALLBACK_SECRET);
  });
});
