import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildNeededReason, computeSourceHash, writeStoredSourceHash } from './source-hash';

let root: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-hash-'));
  await fs.mkdir(path.join(root, 'app', 'store'), { recursive: true });
  await fs.writeFile(path.join(root, 'app', 'page.tsx'), 'export default 1');
  await fs.writeFile(path.join(root, 'app', 'store', 'page.tsx'), 'export default 2');
  await fs.writeFile(path.join(root, 'tsconfig.json'), '{}');
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('computeSourceHash', () => {
  it('is stable while nothing changes', async () => {
    expect(await computeSourceHash(root)).toBe(await computeSourceHash(root));
  });

  it('changes when a file content changes', async () => {
    const before = await computeSourceHash(root);
    await fs.writeFile(path.join(root, 'app', 'store', 'page.tsx'), 'export default 3');
    expect(await computeSourceHash(root)).not.toBe(before);
  });

  it('changes when a file is renamed with the same content', async () => {
    const before = await computeSourceHash(root);
    await fs.rename(path.join(root, 'app', 'page.tsx'), path.join(root, 'app', 'home.tsx'));
    expect(await computeSourceHash(root)).not.toBe(before);
  });

  it('changes when a top-level input file changes, and ignores files outside the inputs', async () => {
    const before = await computeSourceHash(root);
    await fs.writeFile(path.join(root, 'README.md'), 'docs do not need a rebuild');
    expect(await computeSourceHash(root)).toBe(before);
    await fs.writeFile(path.join(root, 'tsconfig.json'), '{"strict":true}');
    expect(await computeSourceHash(root)).not.toBe(before);
  });

  it('tolerates missing input folders and files', async () => {
    await expect(computeSourceHash(root, ['nope'], ['missing.json'])).resolves.toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('buildNeededReason', () => {
  it('asks for a build until a matching hash is stored beside BUILD_ID', async () => {
    const dist = path.join(root, '.next');
    const hash = await computeSourceHash(root);
    expect(await buildNeededReason(dist, hash)).toBe('no production build yet');
    await fs.mkdir(dist);
    await fs.writeFile(path.join(dist, 'BUILD_ID'), 'abc');
    expect(await buildNeededReason(dist, hash)).toBe('the existing build has no source hash');
    await writeStoredSourceHash(dist, hash);
    expect(await buildNeededReason(dist, hash)).toBeUndefined();
    expect(await buildNeededReason(dist, 'other')).toBe('sources changed since the last build');
  });
});
