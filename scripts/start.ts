/**
 * `npm start` / `npm run dev`: one command, offline, zero config. Starts (or connects to)
 * Postgres, migrates, seeds the demo store, builds when sources changed, then runs Next (and the
 * background processes) until Ctrl-C.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { closeDb } from '@/db/client';
import { excessRightsOf } from '@/db/roles';
import { seedDemo, type DemoCredentials } from '@/db/seed';
import { EnvError, parseEnv, requireSecret, type Env } from '@/lib/env';
import { UsageError, parseStartArgs } from './lib/args';
import { formatBanner } from './lib/banner';
import { ensureProductionBuild } from './lib/build';
import { exitCodeOf, runningOneShots, spawnChild, stopChildren, type RunningChild } from './lib/children';
import { installSecretsEnv, loadOrCreateEngineKeys } from './lib/data-files';
import { openAppDatabase, type AppDatabase } from './lib/database';
import { loadDotEnvFiles } from './lib/dotenv';
import { StartupError } from './lib/errors';
import { REPO_ROOT, resolveDataDir, resolveDistDir, resolveEmbeddedPgPort, resolveEnginePort, resolveFunctionsServer } from './lib/paths';
import { freePort, isPortFree } from './lib/ports';
import { appEnv, appProcessSpecs, usesEmbeddedEngine, type AppContext } from './lib/processes';
import { findLiveRuntime, removeRuntimeFile, writeRuntimeFile } from './lib/runtime-file';
import { takeOverShutdownSignals } from './lib/signals';
import { waitForHttp } from './lib/wait-for-http';

const USAGE = `Usage: npm start            production build (rebuilt only when sources changed) + next start
       npm run dev          next dev with hot reload

Configuration comes from the environment (and .env / .env.local); see .env.example.`;

const CHILD_EXIT_SETTLE_MS = 500;

const log = (line: string) => console.log(`[paykit] ${line}`);
const logError = (line: string) => console.error(`[paykit] ${line}`);

/** What is running, so shutdown can stop exactly that, in order. */
const state: {
  database?: AppDatabase;
  /** Set while Postgres starts and migrates, so a Ctrl-C then still stops it once it is up. */
  opening?: Promise<AppDatabase>;
  dataDir?: string;
  children: RunningChild[];
  stopping: boolean;
  bannerAbort: AbortController;
} = { children: [], stopping: false, bannerAbort: new AbortController() };

/** Stops children (SIGTERM, then SIGKILL), then Postgres, removes runtime.json, and exits. */
async function shutdown(exitCode: number, reason: string): Promise<never> {
  if (state.stopping) return new Promise<never>(() => undefined);
  state.stopping = true;
  state.bannerAbort.abort();
  log(`${reason}; stopping...`);
  await stopChildren([...state.children, ...runningOneShots()]);
  await closeDb().catch(() => undefined);
  const database = state.database ?? (await state.opening?.catch(() => undefined));
  if (database) await database.stop();
  if (state.dataDir) await removeRuntimeFile(state.dataDir).catch(() => undefined);
  log('Stopped.');
  process.exit(exitCode);
}

/**
 * .env files, then the install secrets: those the operator did not set come from the data dir
 * (generated on first start), and go into process.env so every child process (Next, the
 * engine, a build) gets the same ones. Only then is the environment validated, so a production
 * start never falls back to anything guessable.
 */
async function readEnvironment(): Promise<Env> {
  loadDotEnvFiles(REPO_ROOT);
  Object.assign(process.env, await installSecretsEnv(resolveDataDir(process.env), process.env));
  allowLocalWebhooksForTheDemo(process.env);
  showLocalMailboxForTheDemo(process.env);
  offerTheSandboxTillForTheDemo(process.env);
  return parseEnv(process.env);
}

/**
 * The demo runs on one machine, so a merchant's webhook receiver is usually on localhost: allow
 * internal webhook URLs unless set otherwise (.env wins) or in production, where SSRF protection
 * stays on. The app and engine processes inherit the value.
 */
function allowLocalWebhooksForTheDemo(vars: NodeJS.ProcessEnv): void {
  if (vars.NODE_ENV === 'production' || vars.WEBHOOK_ALLOW_PRIVATE_URLS !== undefined) return;
  vars.WEBHOOK_ALLOW_PRIVATE_URLS = 'true';
}

/**
 * Without SMTP settings receipts land in the local mailbox; outside production the demo shows it
 * at /dev/mailbox (.env wins). In production the page stays off: it would show customers' email.
 */
function showLocalMailboxForTheDemo(vars: NodeJS.ProcessEnv): void {
  if (vars.NODE_ENV === 'production' || vars.DEV_MAILBOX !== undefined) return;
  vars.DEV_MAILBOX = 'true';
}

/**
 * The demo merchant accepts Till (Buy Goods) payments too: with the offline Daraja (no
 * DARAJA_BASE_URL) and no till of your own, the sandbox's shortcode gets a till number. Against
 * Safaricom (or in production) only DARAJA_TILL_NUMBER offers it.
 */
export const DEMO_TILL_NUMBER = '5566778';
function offerTheSandboxTillForTheDemo(vars: NodeJS.ProcessEnv): void {
  if (vars.NODE_ENV === 'production' || vars.DARAJA_BASE_URL || vars.DARAJA_TILL_NUMBER) return;
  vars.DARAJA_TILL_NUMBER = DEMO_TILL_NUMBER;
}

async function ensureNotRunning(dataDir: string, port: number): Promise<void> {
  const running = await findLiveRuntime(dataDir);
  if (running) {
    throw new StartupError(
      `paykit is already running on this data dir (pid ${running.pid}, port ${running.port}). Stop it first.`,
    );
  }
  if (!(await isPortFree(port))) {
    throw new StartupError(`Port ${port} is already in use. Stop whatever listens on it, or set PORT to a free port.`);
  }
}

async function seed(database: AppDatabase, dataDir: string): Promise<DemoCredentials> {
  process.env.DATABASE_URL = database.url; // getDb() reads it
  try {
    return await seedDemo({ dataDir });
  } finally {
    await closeDb(); // this process holds no pool while the app runs
  }
}

/**
 * With a single DATABASE_URL the app runs with the migration role's rights; a superuser or the
 * tables' owner could switch the ledger's triggers off. Allowed (small setups), but said loudly
 * in production.
 */
async function warnIfOverprivileged(env: Env, database: AppDatabase): Promise<void> {
  if (env.NODE_ENV !== 'production') return;
  const excess = await excessRightsOf(database.url);
  if (!excess) return;
  logError(
    `WARNING: DATABASE_URL connects as ${excess}, so a bug or an injection could disable the ledger guards. ` +
      'Give the app a role with row rights only (GRANT paykit_app TO <role>) and migrate with MIGRATION_DATABASE_URL; see README.',
  );
}

/** Spawns every app process; if one exits on its own, everything stops with its exit code. */
function startProcesses(ctx: AppContext): void {
  for (const spec of appProcessSpecs(ctx)) {
    const child = spawnChild(spec);
    state.children.push(child);
    void child.exited.then(async (exit) => {
      // A terminal Ctrl-C reaches the children at the same moment as us, so a child may exit a
      // little before our own SIGINT handler runs; let that signal arrive before calling it a crash.
      await sleep(CHILD_EXIT_SETTLE_MS);
      if (!state.stopping) void shutdown(exitCodeOf(exit), `${spec.name} exited (${exit.signal ?? `code ${exit.code}`})`);
    });
  }
}

/**
 * The functions server's port (scripts/lib/processes.ts): only beside the embedded engine in a
 * production start; FUNCTIONS_PORT if set (it must be free), else one the OS says is free.
 */
async function chooseFunctionsPort(dev: boolean): Promise<number | null> {
  const setting = resolveFunctionsServer(process.env);
  if (dev || !setting.enabled || !usesEmbeddedEngine(process.env)) return null;
  if (setting.port === undefined) return freePort();
  if (!(await isPortFree(setting.port, '127.0.0.1'))) {
    throw new StartupError(`Port ${setting.port} (the functions server) is already in use. Set FUNCTIONS_PORT to a free port, or leave it unset.`);
  }
  return setting.port;
}

async function main(): Promise<void> {
  const args = parseStartArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const env = await readEnvironment();
  const dataDir = resolveDataDir(process.env);
  const embeddedPort = resolveEmbeddedPgPort(process.env);
  await ensureNotRunning(dataDir, env.PORT);
  const enginePort = resolveEnginePort(process.env);
  if (usesEmbeddedEngine(process.env) && !(await isPortFree(enginePort))) {
    throw new StartupError(`Port ${enginePort} (the background engine) is already in use. Set ENGINE_PORT to a free port.`);
  }
  const functionsPort = await chooseFunctionsPort(args.dev);
  takeOverShutdownSignals((signal) => void shutdown(0, `Received ${signal}`));

  if (!env.DATABASE_URL) log(`Starting the embedded Postgres (data in ${dataDir}/pg, port ${embeddedPort})...`);
  state.opening = openAppDatabase({
    databaseUrl: env.DATABASE_URL,
    migrationDatabaseUrl: env.MIGRATION_DATABASE_URL,
    dataDir,
    embeddedPort,
  });
  state.database = await state.opening;
  state.dataDir = dataDir;
  await warnIfOverprivileged(env, state.database);
  await writeRuntimeFile(dataDir, {
    databaseUrl: state.database.url,
    migrationDatabaseUrl: state.database.ownerUrl,
    pid: process.pid,
    port: env.PORT,
  });
  const credentials = await seed(state.database, dataDir);

  const ctx: AppContext = {
    root: REPO_ROOT,
    dev: args.dev,
    port: env.PORT,
    appUrl: env.APP_URL,
    databaseUrl: state.database.url,
    storeSecretKey: credentials.secretKey,
    authSecret: requireSecret('AUTH_SECRET'),
    dataDir,
    engine: usesEmbeddedEngine(process.env) ? { port: enginePort, ...(await loadOrCreateEngineKeys(dataDir)) } : null,
    functionsPort,
  };
  if (!args.dev) {
    await ensureProductionBuild({ root: REPO_ROOT, distDir: resolveDistDir(process.env), env: appEnv(ctx), log });
  }
  if (state.stopping) return; // Ctrl-C during the build
  startProcesses(ctx);

  const up = await waitForHttp(`http://127.0.0.1:${ctx.port}/`, { signal: state.bannerAbort.signal });
  if (up) {
    const database = { kind: state.database.kind, url: state.database.url };
    console.log(formatBanner({ appUrl: ctx.appUrl, dev: ctx.dev, dataDir, database, ...credentials }));
  }
}

main().catch(async (err: unknown) => {
  await sleep(CHILD_EXIT_SETTLE_MS); // a Ctrl-C that also killed `next build` arrives here too
  if (state.stopping) return; // a failure caused by the shutdown itself
  if (err instanceof UsageError) {
    logError(err.message);
    console.error(USAGE);
    process.exit(2);
  }
  if (err instanceof EnvError || err instanceof StartupError) logError(err.message);
  else logError(err instanceof Error ? (err.stack ?? err.message) : String(err));
  if (!state.database && state.children.length === 0) process.exit(1); // nothing to stop yet
  void shutdown(1, 'Start-up failed');
});
