import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StartupError } from './errors';

/** The repository root (scripts/lib/ is two levels below it). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const DEFAULT_DATA_DIR = '.data';
export const DEFAULT_EMBEDDED_PG_PORT = 54329;

/** `PAYKIT_DATA_DIR` (absolute, or relative to the repo root), default `.data`. */
export function resolveDataDir(env: Record<string, string | undefined>, root = REPO_ROOT): string {
  return path.resolve(root, env.PAYKIT_DATA_DIR || DEFAULT_DATA_DIR);
}

/** Next's build output folder; next.config.mjs reads the same variable. */
export function resolveDistDir(env: Record<string, string | undefined>, root = REPO_ROOT): string {
  return path.resolve(root, env.NEXT_DIST_DIR || '.next');
}

export function resolveEmbeddedPgPort(env: Record<string, string | undefined>): number {
  return portSetting(env, 'EMBEDDED_PG_PORT') ?? DEFAULT_EMBEDDED_PG_PORT;
}

/** A port number from `env[name]`, undefined when unset; anything but 1-65535 stops the start. */
function portSetting(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StartupError(`${name} must be a port number (1-65535), got "${raw}".`);
  }
  return port;
}

/** Path of a binary installed in node_modules/.bin. */
export function binPath(name: string, root = REPO_ROOT): string {
  return path.join(root, 'node_modules', '.bin', name);
}

export const DEFAULT_ENGINE_PORT = 8288;

export function resolveEnginePort(env: Record<string, string | undefined>): number {
  return portSetting(env, 'ENGINE_PORT') ?? DEFAULT_ENGINE_PORT;
}

/**
 * The functions server (scripts/lib/processes.ts): `FUNCTIONS_SERVER=off` runs none; otherwise its
 * port is `FUNCTIONS_PORT`, or undefined for one picked free at start.
 */
export function resolveFunctionsServer(env: Record<string, string | undefined>): { enabled: boolean; port: number | undefined } {
  const setting = env.FUNCTIONS_SERVER?.trim().toLowerCase() || 'on';
  if (setting !== 'on' && setting !== 'off') {
    throw new StartupError(`FUNCTIONS_SERVER must be on or off, got "${env.FUNCTIONS_SERVER}".`);
  }
  return { enabled: setting === 'on', port: portSetting(env, 'FUNCTIONS_PORT') };
}
