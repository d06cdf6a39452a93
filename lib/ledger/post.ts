import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { journalTransactions } from '@/db/schema';
import { AppError, invariant } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { formatMoney } from '@/lib/money';
import { lockWallet, readWalletState } from '@/lib/wallet/wallet-lock';
import { isGuarded, normalSign, type AccountRef } from './accounts';
import { assertBalanced, type PaymentStateDelta, type Posting } from './posting-rules';

/**
 * Balance rows per account. A posting adds its deltas to one random shard (the database does it:
 * the ledger_project_balances trigger on journal_entries, migration 0014_app_role, which has this
 * number too; the app role may not write ledger_balances itself), so concurrent
 * postings into one hot account rarely wait on the same row (a row lock is held until the commit
 * is flushed, so collisions cost a whole fsync). Every capture also touches the platform's PSP
 * clearing and fee accounts, which makes them the hottest of all; 64 keeps collisions rare at
 * 50 producers. Readers sum all shards, so the count can change at any time without a migration
 * (on a loaded 2-core box, 32 -> 128 shards took single-statement postings from ~670/s to ~810/s
 * at 20 producers; 64 is the compromise with read cost).
 */
export const BALANCE_SHARDS = 64;

export interface PostResult {
  journalTransactionId: string;
  /** false when the event had already been posted: the call was a no-op. */
  created: boolean;
}

interface BalanceDelta {
  account: AccountRef;
  deltaMinor: number;
}

/**
 * Writes a posting. Idempotent: (eventId, kind) is unique, so a repeated event returns the
 * existing journal transaction and changes nothing.
 *
 * Credits-only postings (every capture) are ONE statement and take no lock on any account.
 * A posting that debits a merchant wallet runs in a (nested) transaction that locks that wallet
 * and checks the balance first; it throws insufficient_balance and writes nothing if the wallet
 * cannot cover it.
 */
export async function post(db: DbOrTx, posting: Posting): Promise<PostResult> {
  assertBalanced(posting.lines);
  for (const line of posting.lines)
    invariant(line.account.currency === posting.currency, 'entries must be in the posting currency');
  const walletDebits = walletDebitsOf(posting);
  if (walletDebits.length === 0) return writePosting(db, posting);
  return db.transaction(async (tx) => {
    const merchantId = posting.merchantId;
    invariant(
      merchantId && walletDebits.every((d) => d.account.merchantId === merchantId),
      'a posting debits one merchant wallet',
    );
    await lockWallet(tx, merchantId, posting.currency);
    // Re-check after the lock: a duplicate delivered concurrently may have just committed.
    const existing = await findPosting(tx, posting.eventId, posting.kind);
    if (existing) return { journalTransactionId: existing, created: false };
    await assertWalletCovers(tx, posting, walletDebits);
    return writePosting(tx, posting);
  });
}

export async function findPosting(db: DbOrTx, eventId: string, kind: Posting['kind']): Promise<string | undefined> {
  const [row] = await db
    .select({ id: journalTransactions.id })
    .from(journalTransactions)
    .where(and(eq(journalTransactions.eventId, eventId), eq(journalTransactions.kind, kind)));
  return row?.id;
}

/** The merchant-wallet accounts whose balance this posting lowers (net): they need the lock. */
export function walletDebitsOf(posting: Posting): BalanceDelta[] {
  return balanceDeltas(posting).filter((d) => isGuarded(d.account.kind) && d.deltaMinor < 0);
}

/** Net change of each account's balance, in the account's natural sign. */
function balanceDeltas(posting: Posting): BalanceDelta[] {
  const byAccount = new Map<string, BalanceDelta>();
  for (const line of posting.lines) {
    const current = byAccount.get(line.account.id) ?? { account: line.account, deltaMinor: 0 };
    current.deltaMinor += line.amountMinor * normalSign(line.account.kind);
    byAccount.set(line.account.id, current);
  }
  return [...byAccount.values()].filter((d) => d.deltaMinor !== 0).sort((a, b) => (a.account.id < b.account.id ? -1 : 1));
}

async function assertWalletCovers(tx: DbOrTx, posting: Posting, walletDebits: BalanceDelta[]): Promise<void> {
  const state = await readWalletState(tx, posting.merchantId!, posting.currency);
  for (const debit of walletDebits) {
    const isAvailable = debit.account.kind === 'merchant_available';
    const balance = isAvailable ? state.availableMinor : state.pendingMinor;
    const floor = isAvailable ? -state.overdraftLimitMinor : 0;
    if (balance + debit.deltaMinor < floor) {
      const which = isAvailable ? 'available' : 'pending';
      throw new AppError(
        'insufficient_balance',
        `The ${which} balance (${formatMoney(balance, posting.currency)}) cannot cover ${formatMoney(-debit.deltaMinor, posting.currency)}.`,
      );
    }
  }
}

/**
 * One statement writes a batch of postings: the journal transactions, missing accounts, payment
 * states and entries; the entries' trigger then adds the balance deltas, summed per account, to
 * one random shard each. Everything after `claim` joins on the transactions it actually inserted,
 * so a duplicate event (already posted, or twice in the batch) writes nothing. Payment rows are
 * upserted in id order during the statement and balance rows in account order after it (AFTER
 * triggers run at its end), so concurrent batches can never deadlock on them.
 */
export async function writePostings(db: DbOrTx, postings: readonly Posting[]): Promise<PostResult[]> {
  if (postings.length === 0) return [];
  const batch = postings.map((p) => ({ id: newId('journalTransaction'), posting: p }));
  const journal = batch.map(({ id, posting: p }) => ({
    id,
    kind: p.kind,
    event_id: p.eventId,
    merchant_id: p.merchantId,
    currency: p.currency,
    payment_intent_id: p.paymentIntentId ?? null,
    refund_id: p.refundId ?? null,
    reverses_id: p.reversesId ?? null,
    description: p.description ?? null,
  }));
  const entries = batch.flatMap(({ id, posting: p }) =>
    p.lines.map((l) => ({
      id: newId('journalEntry'),
      transaction_id: id,
      account_id: l.account.id,
      currency: l.account.currency,
      amount_minor: l.amountMinor,
    })),
  );
  const payments = batch.flatMap(({ id, posting: p }) =>
    p.paymentDelta
      ? [{ transaction_id: id, merchant_id: p.merchantId, currency: p.currency, ...paymentJson(p.paymentDelta) }]
      : [],
  );
  const accounts = dedupeAccounts(postings.flatMap((p) => p.lines.map((l) => l.account)));
  const rows = await db.execute<{ created_ids: string[] }>(sql`
    with claim as (
      insert into journal_transactions (id, kind, event_id, merchant_id, currency, payment_intent_id, refund_id, reverses_id, description)
      select * from jsonb_to_recordset(${JSON.stringify(journal)}::jsonb) as j(id text, kind text, event_id text, merchant_id text,
             currency text, payment_intent_id text, refund_id text, reverses_id text, description text)
      on conflict (event_id, kind) do nothing
      returning id
    ),
    new_accounts as (
      insert into ledger_accounts (id, kind, merchant_id, psp, currency)
      select * from jsonb_to_recordset(${JSON.stringify(accounts)}::jsonb) as a(id text, kind text, merchant_id text, psp text, currency text)
      on conflict (id) do nothing
    ),
    payment as (
      insert into ledger_payment_states (payment_intent_id, merchant_id, currency, psp, captured_minor, fee_minor, refunded_minor)
      select p.payment_intent_id, min(p.merchant_id), min(p.currency), min(p.psp), sum(p.captured), sum(p.fee), 0
        from jsonb_to_recordset(${JSON.stringify(payments)}::jsonb) as p(transaction_id text, payment_intent_id text, merchant_id text,
             currency text, psp text, captured bigint, fee bigint)
        join claim on claim.id = p.transaction_id
       group by p.payment_intent_id
       order by p.payment_intent_id
      on conflict (payment_intent_id) do update set
        captured_minor = ledger_payment_states.captured_minor + excluded.captured_minor,
        fee_minor = ledger_payment_states.fee_minor + excluded.fee_minor,
        updated_at = now()
    ),
    entries as (
      insert into journal_entries (id, transaction_id, account_id, currency, amount_minor)
      select e.id, e.transaction_id, e.account_id, e.currency, e.amount_minor
        from jsonb_to_recordset(${JSON.stringify(entries)}::jsonb) as e(id text, transaction_id text, account_id text, currency text, amount_minor bigint)
        join claim on claim.id = e.transaction_id
    )
    select coalesce((select array_agg(id) from claim), '{}') as created_ids`);
  const created = new Set(rows[0]?.created_ids ?? []);
  const existing = created.size === postings.length ? new Map<string, string>() : await findPostings(db, postings);
  return batch.map(({ id, posting: p }) => {
    if (created.has(id)) return { journalTransactionId: id, created: true };
    const found = existing.get(postingKey(p.eventId, p.kind));
    invariant(found, `posting ${p.kind} for event ${p.eventId} neither inserted nor found`);
    return { journalTransactionId: found, created: false };
  });
}

async function writePosting(db: DbOrTx, posting: Posting): Promise<PostResult> {
  const [result] = await writePostings(db, [posting]);
  invariant(result, 'one posting in, one result out');
  return result;
}

function paymentJson(d: PaymentStateDelta) {
  return { payment_intent_id: d.paymentIntentId, psp: d.psp, captured: d.capturedMinor, fee: d.feeMinor };
}

function postingKey(eventId: string, kind: string): string {
  return `${kind}\u0000${eventId}`;
}

async function findPostings(db: DbOrTx, postings: readonly Posting[]): Promise<Map<string, string>> {
  const keys = postings.map((p) => ({ event_id: p.eventId, kind: p.kind }));
  const rows = await db.execute<{ id: string; event_id: string; kind: string }>(sql`
    select t.id, t.event_id, t.kind from journal_transactions t
      join jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(event_id text, kind text) on k.event_id = t.event_id and k.kind = t.kind`);
  return new Map(rows.map((r) => [postingKey(r.event_id, r.kind), r.id]));
}

function dedupeAccounts(
  accounts: AccountRef[],
): Array<{ id: string; kind: string; merchant_id: string | null; psp: string | null; currency: string }> {
  const byId = new Map(
    accounts.map((a) => [a.id, { id: a.id, kind: a.kind, merchant_id: a.merchantId, psp: a.psp, currency: a.currency }]),
  );
  return [...byId.values()];
}
