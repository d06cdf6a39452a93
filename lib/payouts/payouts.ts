import { and, eq, sql } from 'drizzle-orm';
import { getDb, type Tx } from '@/db/client';
import { payoutItems, payouts, payoutSettings, type Payout, type PayoutInterval } from '@/db/schema';
import { bank, merchantAvailable, payoutClearing, post, transfer } from '@/lib/ledger';
import { AppError, invariant } from '@/lib/errors';
import { writeOutboxEvent } from '@/lib/events/outbox';
import { newId } from '@/lib/ids';
import { assertValidAmount, type Currency } from '@/lib/money';
import { lockWallet } from '@/lib/wallet';

/** The sandbox bank account every merchant is paid to until it names its own (test data). */
export const TEST_BANK_ACCOUNT_LAST4 = '6789';

/**
 * The schedule period a run at `now` pays out for: one payout per merchant, currency and period.
 * A weekly period is named by its Monday (UTC), so the first run of a week pays the week out and
 * the others find it done (a missed Monday is paid on Tuesday).
 */
export function periodKeyFor(interval: Exclude<PayoutInterval, 'manual'>, now: Date): string {
  const day = now.toISOString().slice(0, 10);
  if (interval === 'daily') return `daily:${day}`;
  const monday = new Date(`${day}T00:00:00.000Z`);
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
  return `weekly:${monday.toISOString().slice(0, 10)}`;
}

export type PayoutOutcome =
  | { created: true; payout: Payout }
  | { created: false; payout: Payout; reason: 'period_already_paid_out' }
  | { created: false; payout: null; reason: 'nothing_available' };

interface Claim {
  journalTransactionId: string;
  availableDeltaMinor: number;
}

/**
 * Pays out a merchant's whole available balance in one currency for one schedule period, in ONE
 * transaction: Dr merchant available / Cr payout clearing (the wallet projection moves with the
 * entries), the payout row, the balance transactions it contains, and the payout.created event.
 *
 * Why it never pays more than is available, nor twice:
 * - it holds the wallet's lock (every debit of the wallet takes it), and post() re-checks that the
 *   available balance covers the amount, refusing with insufficient_balance otherwise;
 * - the amount is the sum of the balance transactions not yet in any payout, read in the same
 *   snapshot as the available balance, and the two must agree (asserted): each journal
 *   transaction is claimed by at most one payout (payout_items' primary key);
 * - (merchant, currency, period) is unique: a second run for the period finds the first payout.
 */
export async function createPayout(input: { merchantId: string; currency: Currency; periodKey: string; now?: Date }): Promise<PayoutOutcome> {
  const now = input.now ?? new Date();
  return getDb().transaction(async (tx) => {
    await lockWallet(tx, input.merchantId, input.currency);
    const existing = await findPeriodPayout(tx, input.merchantId, input.currency, input.periodKey);
    if (existing) return { created: false, payout: existing, reason: 'period_already_paid_out' };

    const { claims, balanceMinor } = await unclaimedAvailable(tx, input.merchantId, input.currency);
    const amountMinor = claims.reduce((sum, c) => sum + c.availableDeltaMinor, 0);
    invariant(
      amountMinor === balanceMinor,
      `available balance ${balanceMinor} of ${input.merchantId} ${input.currency} differs from its balance transactions not yet paid out (${amountMinor})`,
    );
    if (amountMinor <= 0) return { created: false, payout: null, reason: 'nothing_available' };
    assertValidAmount(amountMinor, input.currency);

    const settings = await tx.select().from(payoutSettings).where(eq(payoutSettings.merchantId, input.merchantId));
    const id = newId('payout');
    const posting = await post(tx, {
      kind: 'payout',
      eventId: id,
      merchantId: input.merchantId,
      currency: input.currency,
      lines: transfer(merchantAvailable(input.merchantId, input.currency), payoutClearing(input.currency), amountMinor),
      description: `Payout ${id} (${input.periodKey})`,
    });
    invariant(posting.created, 'a new payout id posts a new journal transaction');
    const [payout] = await tx
      .insert(payouts)
      .values({
        id,
        merchantId: input.merchantId,
        currency: input.currency,
        amountMinor,
        status: 'in_transit',
        periodKey: input.periodKey,
        journalTransactionId: posting.journalTransactionId,
        bankAccountLast4: settings[0]?.bankAccountLast4 ?? TEST_BANK_ACCOUNT_LAST4,
        // the sandbox bank books a transfer on its next run
        arrivalDate: now,
        createdAt: now,
      })
      .returning();
    invariant(payout, 'payout insert returned nothing');
    await tx.insert(payoutItems).values(
      claims.map((c) => ({ payoutId: id, journalTransactionId: c.journalTransactionId, availableDeltaMinor: c.availableDeltaMinor })),
    );
    await writeOutboxEvent(tx, {
      type: 'payout.created',
      merchantId: input.merchantId,
      aggregateType: 'payout',
      aggregateId: id,
      data: { payoutId: id, merchantId: input.merchantId, currency: input.currency, amountMinor, periodKey: input.periodKey },
    });
    return { created: true, payout };
  });
}

/**
 * Books the bank transfer of a payout in transit, in one transaction: Dr payout clearing / Cr bank,
 * status paid, the payout.paid event. Safe to run twice: the row lock and the status check make the
 * second run a no-op (and (event, kind) is unique in the journal besides).
 */
export async function markPayoutPaid(payoutId: string, now = new Date()): Promise<{ paid: boolean; payout: Payout }> {
  return getDb().transaction(async (tx) => {
    const [payout] = await tx.select().from(payouts).where(eq(payouts.id, payoutId)).for('update');
    if (!payout) throw new AppError('resource_missing', `No such payout: '${payoutId}'`, { param: 'id' });
    if (payout.status !== 'in_transit') return { paid: false, payout };
    const currency = payout.currency as Currency;
    await post(tx, {
      kind: 'payout_paid',
      eventId: payout.id,
      merchantId: payout.merchantId,
      currency,
      lines: transfer(payoutClearing(currency), bank(currency), payout.amountMinor),
      description: `Payout ${payout.id} arrived at the bank account ending ${payout.bankAccountLast4 ?? TEST_BANK_ACCOUNT_LAST4}`,
    });
    const [paid] = await tx
      .update(payouts)
      .set({ status: 'paid', paidAt: now })
      .where(and(eq(payouts.id, payout.id), eq(payouts.status, 'in_transit')))
      .returning();
    invariant(paid, 'the locked payout was in transit');
    await writeOutboxEvent(tx, {
      type: 'payout.paid',
      merchantId: payout.merchantId,
      aggregateType: 'payout',
      aggregateId: payout.id,
      data: { payoutId: payout.id, merchantId: payout.merchantId, currency, amountMinor: payout.amountMinor },
    });
    return { paid: true, payout: paid };
  });
}

async function findPeriodPayout(tx: Tx, merchantId: string, currency: string, periodKey: string): Promise<Payout | undefined> {
  const [row] = await tx
    .select()
    .from(payouts)
    .where(and(eq(payouts.merchantId, merchantId), eq(payouts.currency, currency), eq(payouts.periodKey, periodKey)));
  return row;
}

/**
 * The merchant's balance transactions that changed its available balance and are in no payout
 * yet (payouts themselves excluded), each with the available balance, all in ONE statement so
 * both come from the same snapshot: a credit committing meanwhile is either in both or in neither.
 */
async function unclaimedAvailable(tx: Tx, merchantId: string, currency: Currency): Promise<{ claims: Claim[]; balanceMinor: number }> {
  const account = merchantAvailable(merchantId, currency).id;
  const rows = await tx.execute<{ journal_transaction_id: string | null; available_delta: string | null; available_balance: string }>(sql`
    with balance as (
      select coalesce(sum(balance_minor), 0) as available_balance from ledger_balances where account_id = ${account}
    ),
    unclaimed as (
      select t.id as journal_transaction_id, sum(-e.amount_minor) as available_delta, min(t.seq) as seq
        from journal_entries e
        join journal_transactions t on t.id = e.transaction_id
       where e.account_id = ${account}
         and t.kind <> 'payout'
         and not exists (select 1 from payout_items i where i.journal_transaction_id = t.id)
       group by t.id
      having sum(e.amount_minor) <> 0
    )
    select u.journal_transaction_id, u.available_delta, b.available_balance
      from balance b
      left join unclaimed u on true
     order by u.seq`);
  const balanceMinor = Number(rows[0]?.available_balance ?? 0);
  const claims = rows.flatMap((r) =>
    r.journal_transaction_id === null ? [] : [{ journalTransactionId: r.journal_transaction_id, availableDeltaMinor: Number(r.available_delta) }],
  );
  return { claims, balanceMinor };
}
