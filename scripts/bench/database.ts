import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres, withDatabase } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import { freePort } from '../lib/ports';

export interface BenchDatabase {
  url: string;
  stop(): Promise<void>;
}


/**
 * A throwaway, migrated database: on DATABASE_URL's server when set (a new database, dropped at
 * the end, so the bench never touches real data), else on an embedded Postgres in a temp dir.
 */
export async function openBenchDatabase(log: (m: string) => void): Promise<BenchDatabase> {
  let serverUrl = process.env.DATABASE_URL;
  let stopServer = async () => undefined as void;
  if (!serverUrl) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paykit-bench-'));
    await fs.chmod(dir, 0o777);
    const port = await freePort();
    log(`starting embedded Postgres on port ${port} in ${dir}`);
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'pg'),
      port,
      persistent: false,
      // statements per payment are counted, not timed: they are not noisy on a shared machine
      postgresFlags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all'],
    });
    serverUrl = pg.url;
    stopServer = async () => {
      await pg.stop();
      await fs.rm(dir, { recursive: true, force: true });
    };
  }
  const name = `paykit_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  await runMigrations(url);
  return {
    url,
    stop: async () => {
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => undefined });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`).catch(() => undefined);
      await cleanup.end();
      await stopServer();
    },
  };
}
