import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTextIfExists, writePrivateFile } from './data-files';
import {
  findLiveRuntime,
  isPidAlive,
  readRuntimeFile,
  removeRuntimeFile,
  runtimeFilePath,
  writeRuntimeFile,
} from './runtime-file';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-data-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const modeOf = async (file: string) => (await fs.stat(file)).mode & 0o777;

describe('writePrivateFile', () => {
  it('creates parent folders and leaves the file readable by its owner only, even when it existed', async () => {
    const file = path.join(dir, 'nested', 'secret');
    await fs.mkdir(path.dirname(file));
    await fs.writeFile(file, 'old', { mode: 0o644 });
    await writePrivateFile(file, 'new');
    expect(await readTextIfExists(file)).toBe('new');
    expect(await modeOf(file)).toBe(0o600);
  });

  it('readTextIfExists returns undefined for a missing file', async () => {
    expect(await readTextIfExists(path.join(dir, 'nope'))).toBeUndefined();
  });
});

// The install secrets (secrets.json) are tested with the other secret checks in tests/security/secrets.test.ts.

describe('runtime.json', () => {
  it('round-trips, is private, and is removed', async () => {
    const info = { databaseUrl: 'postgres://postgres:pw@127.0.0.1:54329/postgres', pid: process.pid, port: 3000 };
    await writeRuntimeFile(dir, info);
    expect(await readRuntimeFile(dir)).toEqual(info);
    expect(await modeOf(runtimeFilePath(dir))).toBe(0o600);
    expect(await findLiveRuntime(dir)).toEqual(info);
    await removeRuntimeFile(dir);
    expect(await readRuntimeFile(dir)).toBeUndefined();
    await expect(removeRuntimeFile(dir)).resolves.toBeUndefined();
  });

  it('ignores a file left by a process that is gone', async () => {
    await writeRuntimeFile(dir, { databaseUrl: 'postgres://x@127.0.0.1:1/db', pid: 2 ** 22 + 12345, port: 3000 });
    expect(await findLiveRuntime(dir)).toBeUndefined();
  });

  it('treats a corrupt or incomplete file as missing', async () => {
    await fs.writeFile(runtimeFilePath(dir), '{not json');
    expect(await readRuntimeFile(dir)).toBeUndefined();
    await fs.writeFile(runtimeFilePath(dir), JSON.stringify({ pid: 1 }));
    expect(await readRuntimeFile(dir)).toBeUndefined();
  });

  it('isPidAlive tells running from gone processes', () => {
    expect(isPidAlive(process.pid)).toBe(true);
    expect(isPidAlive(2 ** 22 + 12345)).toBe(false);
  });
});
