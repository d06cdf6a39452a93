import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import type { EnvVars } from './env-vars';

/** Files read in order; a variable already set (in the shell or an earlier file) wins. */
export const DOTENV_FILES = ['.env.local', '.env'];

/**
 * Loads `.env.local` and `.env` from the repo root into `target` without overriding anything, the
 * same precedence Next uses, so `cp .env.example .env` configures the scripts as well as the app.
 * Returns the files that were loaded.
 */
export function loadDotEnvFiles(root: string, target: EnvVars = process.env): string[] {
  const loaded: string[] = [];
  for (const name of DOTENV_FILES) {
    let text: string;
    try {
      text = readFileSync(path.join(root, name), 'utf8');
    } catch {
      continue; // optional
    }
    for (const [key, value] of Object.entries(parseEnv(text))) {
      if (target[key] === undefined) target[key] = value;
    }
    loaded.push(name);
  }
  return loaded;
}
