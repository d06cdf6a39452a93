import { and, asc, desc, eq, gte, lte } from 'drizzle-orm';
import type { DbOrTx, Tx } from '@/db/client';
import { getDb } from '@/db/client';
import {
  SANDBOX_MPESA_ACCOUNTS,
  sandboxMpesaShortcodes,
  sandboxMpesaTransactions,
  type SandboxMpesaAccount,
  type SandboxMpesaTransaction,
  type SandboxMpesaTransactionKind,
} from '@/db/schema';
import { receiptNumber, spacedStamp, wireAmount } from './wire';

/**
 * The shortcode's accounts and statement. Every movement is one immutable row carrying the
 * account's balance after it; movements on a shortcode are serialized by locking its row, so a
 * balance check and the withdrawal it allows cannot interleave with another one.
 */

/** Where each kind of movement lands: Paybill money in the Utility account (B2C and reversals draw on it), Till money in the Merchant account. */
export function accountFor(kind: SandboxMpesaTransactionKind): SandboxMpesaAccount {
  return kind === 'c2b_buygoods' ? 'merchant' : 'utility';
}

/** Locks the shortcode for a money movement; must run inside the transaction that posts it. */
export async function lockShortcode(tx: Tx, shortcode: string): Promise<void> {
  const [row] = await tx
    .select({ shortcode: sandboxMpesaShortcodes.shortcode })
    .from(sandboxMpesaShortcodes)
    .where(eq(sandboxMpesaShortcodes.shortcode, shortcode))
    .for('update');
  if (!row) throw new Error(`sandbox shortcode ${shortcode} does not exist`);
}

export async function balanceCents(db: DbOrTx, shortcode: string, account: SandboxMpesaAccount): Promise<bigint> {
  const [last] = await db
    .select({ balance: sandboxMpesaTransactions.balanceAfterCents })
    .from(sandboxMpesaTransactions)
    .where(and(eq(sandboxMpesaTransactions.shortcode, shortcode), eq(sandboxMpesaTransactions.account, account)))
    .orderBy(desc(sandboxMpesaTransactions.seq))
    .limit(1);
  return last?.balance ?? 0n;
}

export async function allBalances(db: DbOrTx, shortcode: string): Promise<Record<SandboxMpesaAccount, bigint>> {
  const entries = await Promise.all(SANDBOX_MPESA_ACCOUNTS.map(async (a) => [a, await balanceCents(db, shortcode, a)] as const));
  return Object.fromEntries(entries) as Record<SandboxMpesaAccount, bigint>;
}

export interface Movement {
  shortcode: string;
  kind: SandboxMpesaTransactionKind;
  direction: 'in' | 'out';
  amountCents: bigint;
  msisdn: string;
  customerName: string;
  billReference?: string;
  originalTransactionId?: string;
  conversationId?: string;
  /** The receipt to use (an STK push's receipt is chosen when it completes); a fresh one otherwise. */
  id?: string;
  /** The account it moves, when not the kind's own (a reversal draws on the account the original landed in). */
  account?: SandboxMpesaAccount;
}

export class InsufficientFunds extends Error {}

/**
 * Posts one movement under the shortcode lock (taken here; idempotent within the transaction).
 * Throws InsufficientFunds, and posts nothing, when a withdrawal exceeds the account's balance.
 */
export async function postMovement(tx: Tx, movement: Movement): Promise<SandboxMpesaTransaction> {
  if (movement.amountCents <= 0n) throw new Error('a movement moves a positive amount');
  await lockShortcode(tx, movement.shortcode);
  const account = movement.account ?? accountFor(movement.kind);
  const before = await balanceCents(tx, movement.shortcode, account);
  const after = movement.direction === 'in' ? before + movement.amountCents : before - movement.amountCents;
  if (after < 0n) throw new InsufficientFunds(`${account} account holds ${wireAmount(before)}`);
  const [row] = await tx
    .insert(sandboxMpesaTransactions)
    .values({
      id: movement.id ?? receiptNumber(),
      shortcode: movement.shortcode,
      kind: movement.kind,
      account,
      paidInCents: movement.direction === 'in' ? movement.amountCents : 0n,
      withdrawnCents: movement.direction === 'out' ? movement.amountCents : 0n,
      balanceAfterCents: after,
      msisdn: movement.msisdn,
      customerName: movement.customerName,
      billReference: movement.billReference ?? '',
      originalTransactionId: movement.originalTransactionId ?? null,
      conversationId: movement.conversationId ?? null,
    })
    .returning();
  if (!row) throw new Error('sandbox movement insert returned nothing');
  return row;
}

export async function findTransaction(db: DbOrTx, id: string): Promise<SandboxMpesaTransaction | undefined> {
  const [row] = await db.select().from(sandboxMpesaTransactions).where(eq(sandboxMpesaTransactions.id, id));
  return row;
}

export async function findReversalOf(db: DbOrTx, receipt: string): Promise<SandboxMpesaTransaction | undefined> {
  const [row] = await db
    .select()
    .from(sandboxMpesaTransactions)
    .where(and(eq(sandboxMpesaTransactions.originalTransactionId, receipt), eq(sandboxMpesaTransactions.kind, 'reversal')));
  return row;
}

export async function transactionsBetween(shortcode: string, from: Date, to: Date): Promise<SandboxMpesaTransaction[]> {
  return getDb()
    .select()
    .from(sandboxMpesaTransactions)
    .where(
      and(
        eq(sandboxMpesaTransactions.shortcode, shortcode),
        gte(sandboxMpesaTransactions.createdAt, from),
        lte(sandboxMpesaTransactions.createdAt, to),
      ),
    )
    .orderBy(asc(sandboxMpesaTransactions.seq));
}

const DETAILS: Record<SandboxMpesaTransactionKind, string> = {
  stk: 'Pay Bill Online from',
  c2b_paybill: 'Pay Bill from',
  c2b_buygoods: 'Merchant Payment from',
  b2c: 'Business Payment to',
  reversal: 'Reversal of transaction to',
};

/** Quotes what needs quoting, and defuses text a spreadsheet would run as a formula. */
function csvField(value: string): string {
  const v = /^[=+@\t\r]/.test(value) || (/^-/.test(value) && !/^-\d+\.\d{2}$/.test(value)) ? `'${value}` : value;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * The shortcode's statement as CSV, in the columns of an M-Pesa org portal statement: one line per
 * movement, money as decimal shillings, times in Nairobi time, oldest first.
 */
export function statementCsv(rows: SandboxMpesaTransaction[]): string {
  const header = [
    'Receipt No.',
    'Completion Time',
    'Details',
    'Transaction Status',
    'Account',
    'Paid In',
    'Withdrawn',
    'Balance',
    'Reason Type',
    'Other Party Info',
    'A/C No.',
  ];
  const lines = rows.map((r) =>
    [
      r.id,
      spacedStamp(r.createdAt),
      `${DETAILS[r.kind]} ${r.msisdn} - ${r.customerName}${r.originalTransactionId ? ` (${r.originalTransactionId})` : ''}`,
      'Completed',
      r.account,
      r.paidInCents > 0n ? wireAmount(r.paidInCents) : '',
      r.withdrawnCents > 0n ? wireAmount(-r.withdrawnCents) : '',
      wireAmount(r.balanceAfterCents),
      r.kind,
      `${r.msisdn} - ${r.customerName}`,
      r.billReference,
    ]
      .map(csvField)
      .join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
