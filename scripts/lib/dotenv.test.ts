import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDotEnvFiles } from './dotenv';
import type { EnvVars } from './env-vars';

let root: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-env-'));
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('loadDotEnvFiles', () => {
  it('never overrides the shell, and .env.local wins over .env', async () => {
    await fs.writeFile(path.join(root, '.env'), 'PORT=4000\nLOG_LEVEL=debug\nAPP_URL="http://x.test"\n# comment\n');
    await fs.writeFile(path.join(root, '.env.local'), 'LOG_LEVEL=warn\n');
    const target: EnvVars = { PORT: '5000' };
    expect(loadDotEnvFiles(root, target)).toEqual(['.env.local', '.env']);
    expect(target).toEqual({ PORT: '5000', LOG_LEVEL: 'warn', APP_URL: 'http://x.test' });
  });

  it('does nothing without files', () => {
    const target: EnvVars = {};
    expect(loadDotEnvFiles(root, target)).toEqual([]);
    expect(target).toEqual({});
  });
});
