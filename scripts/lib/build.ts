import { runToCompletion } from './children';
import type { EnvVars } from './env-vars';
import { StartupError } from './errors';
import { nextBuildSpec } from './processes';
import { buildNeededReason, computeSourceHash, writeStoredSourceHash } from './source-hash';

/**
 * Runs `next build` only when there is no build or the sources changed since the last one, so a
 * restart is fast. Throws when the build fails.
 */
export async function ensureProductionBuild(options: {
  root: string;
  distDir: string;
  env: EnvVars;
  log: (line: string) => void;
}): Promise<{ built: boolean }> {
  const hash = await computeSourceHash(options.root);
  const reason = await buildNeededReason(options.distDir, hash);
  if (!reason) {
    options.log('Production build is up to date; skipping `next build`.');
    return { built: false };
  }
  options.log(`Building the app (${reason}); this takes a minute or two...`);
  const code = await runToCompletion(nextBuildSpec(options.root, options.env));
  if (code !== 0) throw new BuildError(code);
  // Hashed again after the build: next build itself may rewrite tsconfig.json (e.g. its include
  // list), which must not force another build on the next start. Written only after a successful
  // build, because next build empties the folder when it starts.
  await writeStoredSourceHash(options.distDir, await computeSourceHash(options.root));
  return { built: true };
}

export class BuildError extends StartupError {
  constructor(readonly exitCode: number) {
    super(`next build failed (exit code ${exitCode}); see its output above.`);
    this.name = 'BuildError';
  }
}
