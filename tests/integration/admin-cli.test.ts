import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { apiKeys, users } from '@/db/schema';
import { authenticateSecretKey, hashSecretKey } from '@/lib/auth/api-keys';
import { verifyPassword } from '@/lib/auth/passwords';
import type { EnvVars } from '@/scripts/lib/env-vars';
import { writeRuntimeFile } from '@/scripts/lib/runtime-file';
import { freePort } from '../helpers/global-setup';

const run = promisify(execFile);
const TSX = path.resolve('node_modules/.bin/tsx');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a merchant would, against this file's test database unless env says otherwise. */
async function admin(args: string[], env: EnvVars = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(TSX, ['scripts/admin.ts', ...args], {
      env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

interface CreatedJson {
  merchant_id: string;
  secret_key: string;
  email: string;
  password: string;
}

describe('admin CLI', () => {
  let created: CreatedJson;

  beforeAll(async () => {
    const result = await admin(['merchants', 'create', '--name', 'Acme Coffee', '--email', 'Owner@Acme.test', '--json']);
    expect(result.code, result.stderr).toBe(0);
    // --json: stdout is exactly one JSON object
    created = JSON.parse(result.stdout) as CreatedJson;
  });

  it('merchants create --json prints the merchant id, owner login and a working test key', async () => {
    expect(Object.keys(created).sort()).toEqual(['email', 'merchant_id', 'password', 'secret_key']);
    expect(created.merchant_id).toMatch(/^mer_/);
    expect(created.email).toBe('owner@acme.test');
    expect(created.secret_key).toMatch(/^sk_test_[0-9A-Za-z]+$/);

    const [key] = await getDb()
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, hashSecretKey(created.secret_key)));
    expect(key?.merchantId).toBe(created.merchant_id);
    expect((await authenticateSecretKey(`Bearer ${created.secret_key}`)).id).toBe(created.merchant_id);

    const [owner] = await getDb().select().from(users).where(eq(users.merchantId, created.merchant_id));
    expect(owner?.role).toBe('owner');
    expect(await verifyPassword(created.password, owner!.passwordHash)).toBe(true);
  });

  it('merchants list shows it, as a table and as JSON', async () => {
    const table = await admin(['merchants', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ID\s+NAME\s+EMAIL\s+CREATED/);
    expect(table.stdout).toContain(created.merchant_id);
    expect(table.stdout).toContain('Acme Coffee');

    const json = await admin(['merchants', 'list', '--json']);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as { id: string; name: string; email: string; created: string }[];
    expect(list).toContainEqual({
      id: created.merchant_id,
      name: 'Acme Coffee',
      email: 'owner@acme.test',
      created: expect.any(String),
    });
  });

  it('merchants create without --json prints the credentials for a human', async () => {
    const result = await admin(['merchants', 'create', '--name', 'Tea House', '--email', 'tea@house.test']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Created merchant Tea House \(mer_/);
    expect(result.stdout).toMatch(/sk_test_/);
  });

  it('a duplicate email is a domain error: message on stderr, exit 1, nothing on stdout', async () => {
    const result = await admin(['merchants', 'create', '--name', 'Copycat', '--email', 'owner@ACME.test', '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/already exists/);
    expect(result.stdout).toBe('');
  });

  it('an invalid email is a domain error too', async () => {
    const result = await admin(['merchants', 'create', '--name', 'X', '--email', 'not-an-email']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/email/);
  });

  it.each([
    [['merchants', 'create', '--name', 'No Email']],
    [['merchants', 'frobnicate']],
    [['merchants', 'list', '--colour']],
    [[]],
  ])('bad arguments %j exit 2 with usage on stderr', async (args) => {
    const result = await admin(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Usage: npm run admin/);
    expect(result.stdout).toBe('');
  });

  it('help prints usage and exits 0', async () => {
    const result = await admin(['help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/merchants create --name/);
  });

  describe('without DATABASE_URL', () => {
    let dataDir: string;

    beforeAll(async () => {
      dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-admin-'));
      await fs.chmod(dataDir, 0o777); // as root, the embedded Postgres runs as the postgres user
    });

    afterAll(async () => {
      await fs.rm(dataDir, { recursive: true, force: true });
    });

    it('uses the database of a running paykit found through runtime.json', async () => {
      // This test process stands in for a running `npm start`: its pid is alive.
      await writeRuntimeFile(dataDir, { databaseUrl: process.env.DATABASE_URL!, pid: process.pid, port: 3000 });
      const result = await admin(['merchants', 'list', '--json'], { DATABASE_URL: '', PAYKIT_DATA_DIR: dataDir });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/the running paykit/);
      expect((JSON.parse(result.stdout) as { id: string }[]).map((m) => m.id)).toContain(created.merchant_id);
    });

    it('otherwise starts, migrates and stops an embedded Postgres on the data dir, keeping the data', async () => {
      const ownDir = path.join(dataDir, 'own');
      const env = { DATABASE_URL: '', PAYKIT_DATA_DIR: ownDir, EMBEDDED_PG_PORT: String(await freePort()) };
      const create = await admin(['merchants', 'create', '--name', 'Solo', '--email', 'solo@own.test', '--json'], env);
      expect(create.code, create.stderr).toBe(0);
      expect(create.stderr).toMatch(/temporary embedded Postgres/);
      const { merchant_id } = JSON.parse(create.stdout) as CreatedJson;

      const list = await admin(['merchants', 'list', '--json'], env);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: merchant_id, email: 'solo@own.test' })]);
      // Postgres was stopped cleanly: no server pid file is left behind.
      await expect(fs.access(path.join(ownDir, 'pg', 'postmaster.pid'))).rejects.toThrow();
    });
  });
});
