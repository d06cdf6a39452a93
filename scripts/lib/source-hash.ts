import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readTextIfExists } from './data-files';

/** Everything `next build` reads; a change in any of these means the build is stale. */
export const BUILD_INPUT_DIRS = ['app', 'components', 'lib', 'db', 'inngest', 'public'];
export const BUILD_INPUT_FILES = ['next.config.mjs', 'package-lock.json', 'tsconfig.json'];

export const SOURCE_HASH_FILE = '.paykit-source-hash';

/** Relative paths of every file under `dir`, sorted so the hash does not depend on readdir order. */
async function listFiles(root: string, dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(path.join(root, dir), { withFileTypes: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * sha256 over the path and contents of every build input. Paths are included so that renaming or
 * moving a file changes the hash even when no content changed.
 */
export async function computeSourceHash(
  root: string,
  dirs: readonly string[] = BUILD_INPUT_DIRS,
  files: readonly string[] = BUILD_INPUT_FILES,
): Promise<string> {
  const hash = createHash('sha256');
  const dirFiles = (await Promise.all(dirs.map((d) => listFiles(root, d)))).flat();
  const all = [...new Set([...dirFiles, ...files])].sort();
  for (const rel of all) {
    let content: Buffer;
    try {
      content = await fs.readFile(path.join(root, rel));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // optional top-level file
      throw err;
    }
    hash.update(`${rel}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}

export async function readStoredSourceHash(distDir: string): Promise<string | undefined> {
  return (await readTextIfExists(path.join(distDir, SOURCE_HASH_FILE)))?.trim() || undefined;
}

export async function writeStoredSourceHash(distDir: string, hash: string): Promise<void> {
  await fs.writeFile(path.join(distDir, SOURCE_HASH_FILE), `${hash}\n`);
}

/** Why a build is needed, or undefined when the existing build matches the sources. */
export async function buildNeededReason(distDir: string, sourceHash: string): Promise<string | undefined> {
  const buildId = await readTextIfExists(path.join(distDir, 'BUILD_ID'));
  if (buildId === undefined) return 'no production build yet';
  const stored = await readStoredSourceHash(distDir);
  if (stored === undefined) return 'the existing build has no source hash';
  if (stored !== sourceHash) return 'sources changed since the last build';
  return undefined;
}
