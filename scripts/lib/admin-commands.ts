import type { Merchant, Operator } from '@/db/schema';
import type { CreatedOperator } from '@/lib/admin/operators';
import type { PayoutRun } from '@/lib/payouts';
import type { CreatedMerchant } from '@/lib/merchants';
import { UsageError, parseStrict } from './args';
import { parseReconcileCommand, RECONCILE_USAGE, type ReconcileCommand } from './reconcile-command';

export const ADMIN_USAGE = `Usage: npm run admin -- <command>

Commands:
  merchants create --name <name> --email <email> [--json]
      Create a merchant with an owner login and a test secret key. The password and key are
      shown once. With --json, prints one JSON object: {merchant_id, secret_key, email, password}.
  merchants list [--json]
      List merchants (id, name, email, created).
  operators create --email <email> [--password-stdin] [--json]
      Create a platform operator (the /admin console, signed in at /login/operator). The
      password is generated and shown once, or read from stdin with --password-stdin (at least
      12 characters). With --json, prints one JSON object: {operator_id, email, password}.
  operators list [--json]
      List platform operators (id, email, created, last sign-in).
  payouts run [--json]
      Run the payout schedule now (what the 01:00 UTC cron does): pay each daily or weekly
      merchant its available balance for the current period, then book due bank transfers.
      Safe to repeat: one payout per merchant, currency and period.
${RECONCILE_USAGE}
  help
      Show this help.

Database: DATABASE_URL if set; else the Postgres of a running \`npm start\` (same PAYKIT_DATA_DIR);
else the embedded Postgres is started on the data dir for the duration of the command.`;

export type AdminCommand =
  | { kind: 'help' }
  | { kind: 'merchants-create'; name: string; email: string; json: boolean }
  | { kind: 'merchants-list'; json: boolean }
  | { kind: 'operators-create'; email: string; passwordStdin: boolean; json: boolean }
  | { kind: 'operators-list'; json: boolean }
  | { kind: 'payouts-run'; json: boolean }
  | ReconcileCommand;

/** Parses argv (after `admin.ts`); throws UsageError for anything it does not understand. */
export function parseAdminCommand(argv: string[]): AdminCommand {
  if (argv[0] === 'reconcile') return parseReconcileCommand(argv.slice(1));
  const { values, positionals } = parseStrict(argv, {
    name: { type: 'string' },
    email: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
    'password-stdin': { type: 'boolean' },
  });
  const [group, action, ...extra] = positionals;
  if (values.help || group === 'help') return { kind: 'help' };
  if (group === undefined) throw new UsageError('No command given.');
  if (group === 'operators') return parseOperatorsCommand(action, extra, values);
  if (group === 'payouts') {
    if (action !== 'run') throw new UsageError(action === undefined ? 'payouts needs a subcommand: run.' : `Unknown payouts subcommand: ${action}`);
    if (extra.length > 0) throw new UsageError(`Unexpected argument: ${extra[0]}`);
    rejectOptions(values, ['name', 'email', 'password-stdin'], 'payouts run');
    return { kind: 'payouts-run', json: values.json === true };
  }
  if (group !== 'merchants') throw new UsageError(`Unknown command: ${group}`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument: ${extra[0]}`);
  const json = values.json === true;
  rejectOptions(values, ['password-stdin'], `merchants ${action ?? ''}`.trim());
  if (action === 'list') {
    rejectOptions(values, ['name', 'email'], 'merchants list');
    return { kind: 'merchants-list', json };
  }
  if (action === 'create') {
    const name = requireOption(values.name, 'name');
    const email = requireOption(values.email, 'email');
    return { kind: 'merchants-create', name, email, json };
  }
  throw new UsageError(
    action === undefined ? 'merchants needs a subcommand: create or list.' : `Unknown merchants subcommand: ${action}`,
  );
}

function parseOperatorsCommand(action: string | undefined, extra: string[], values: Record<string, string | boolean | undefined>): AdminCommand {
  if (extra.length > 0) throw new UsageError(`Unexpected argument: ${extra[0]}`);
  const json = values.json === true;
  rejectOptions(values, ['name'], `operators ${action ?? ''}`.trim());
  if (action === 'list') {
    rejectOptions(values, ['email', 'password-stdin'], 'operators list');
    return { kind: 'operators-list', json };
  }
  if (action === 'create') {
    return { kind: 'operators-create', email: requireOption(values.email, 'email'), passwordStdin: values['password-stdin'] === true, json };
  }
  throw new UsageError(
    action === undefined ? 'operators needs a subcommand: create or list.' : `Unknown operators subcommand: ${action}`,
  );
}

function requireOption(value: string | boolean | undefined, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`Missing required option --${name}.`);
  return value;
}

function rejectOptions(values: Record<string, unknown>, names: string[], command: string): void {
  const given = names.find((n) => values[n] !== undefined);
  if (given) throw new UsageError(`Option --${given} does not apply to ${command}.`);
}

/** The --json shape of a created merchant (snake_case, like the API). */
export function createdMerchantJson(created: CreatedMerchant) {
  return { merchant_id: created.merchant.id, secret_key: created.secretKey, email: created.email, password: created.password };
}

export function formatCreatedMerchant(created: CreatedMerchant): string {
  return [
    `Created merchant ${created.merchant.name} (${created.merchant.id})`,
    `  Dashboard login  ${created.email}`,
    `  Password         ${created.password}`,
    `  Test secret key  ${created.secretKey}`,
    'Save the password and key now: only their hashes are stored, they cannot be shown again.',
  ].join('\n');
}

export function merchantListJson(merchants: Merchant[]) {
  return merchants.map((m) => ({ id: m.id, name: m.name, email: m.email, created: m.createdAt.toISOString() }));
}

/** A plain text table, columns padded to their widest cell. */
export function formatMerchantTable(merchants: Merchant[]): string {
  if (merchants.length === 0) return 'No merchants yet. Create one with: npm run admin -- merchants create --name N --email E';
  const header = ['ID', 'NAME', 'EMAIL', 'CREATED'];
  const rows = merchantListJson(merchants).map((m) => [m.id, m.name, m.email, m.created]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The --json shape of a created operator. */
export function createdOperatorJson(created: CreatedOperator, passwordGiven: boolean) {
  // a password read from stdin is the caller's own: not echoed back
  return { operator_id: created.operator.id, email: created.operator.email, password: passwordGiven ? null : created.password };
}

export function formatCreatedOperator(created: CreatedOperator, passwordGiven: boolean): string {
  return [
    `Created platform operator ${created.operator.email} (${created.operator.id})`,
    '  Console          /admin (sign in at /login/operator)',
    ...(passwordGiven ? [] : [`  Password         ${created.password}`, 'Save the password now: only its hash is stored, it cannot be shown again.']),
  ].join('\n');
}

export function operatorListJson(operators: Operator[]) {
  return operators.map((o) => ({
    id: o.id,
    email: o.email,
    created: o.createdAt.toISOString(),
    last_login: o.lastLoginAt?.toISOString() ?? null,
    disabled: o.disabledAt !== null,
  }));
}

export function formatOperatorTable(operators: Operator[]): string {
  if (operators.length === 0) return 'No operators yet. Create one with: npm run admin -- operators create --email E';
  return operatorListJson(operators)
    .map((o) => `${o.id}  ${o.email}  created ${o.created}  last sign-in ${o.last_login ?? 'never'}${o.disabled ? '  (disabled)' : ''}`)
    .join('\n');
}

/** The --json shape of a payout run. */
export function payoutRunJson(run: PayoutRun) {
  return {
    created: run.created.map((c) => ({ payout_id: c.payoutId, merchant_id: c.merchantId, currency: c.currency, amount: c.amountMinor })),
    skipped: run.skipped.map((s) => ({ merchant_id: s.merchantId, currency: s.currency, reason: s.reason })),
    paid: run.paid,
  };
}

export function formatPayoutRun(run: PayoutRun): string {
  return [
    `Payouts created: ${run.created.length}`,
    ...run.created.map((c) => `  ${c.payoutId}  ${c.merchantId}  ${c.amountMinor} ${c.currency}`),
    `Skipped: ${run.skipped.length}`,
    ...run.skipped.map((s) => `  ${s.merchantId} ${s.currency}: ${s.reason}`),
    `Bank transfers booked (paid): ${run.paid.length}`,
  ].join('\n');
}
