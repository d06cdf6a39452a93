import type { LedgerAccountKind } from '@/db/schema';
import type { Currency } from '@/lib/money';

/** The platform's own accounts are not a merchant's; their ids use this owner segment. */
const PLATFORM = 'platform';

export interface AccountRef {
  id: string;
  kind: LedgerAccountKind;
  merchantId: string | null;
  psp: string | null;
  currency: Currency;
}

/**
 * Debit-normal accounts (assets: money the PSP or the bank holds for us) grow with debits;
 * credit-normal ones (what we owe merchants or customers, and our revenue) grow with credits.
 * Balances are stored in the natural sign so a merchant's wallet reads positive.
 */
const DEBIT_NORMAL: ReadonlySet<LedgerAccountKind> = new Set(['psp_clearing', 'bank']);

/** Accounts whose balance must never go negative (beyond a configured overdraft). */
const GUARDED: ReadonlySet<LedgerAccountKind> = new Set(['merchant_pending', 'merchant_available']);

export function normalSign(kind: LedgerAccountKind): 1 | -1 {
  return DEBIT_NORMAL.has(kind) ? 1 : -1;
}

export function isGuarded(kind: LedgerAccountKind): boolean {
  return GUARDED.has(kind);
}

// Deterministic ids let the posting statement create an account on first use, with no lookup.
function accountId(kind: LedgerAccountKind, owner: string, currency: Currency): string {
  return `acct_${kind}.${owner}.${currency}`;
}

export function merchantPending(merchantId: string, currency: Currency): AccountRef {
  return { id: accountId('merchant_pending', merchantId, currency), kind: 'merchant_pending', merchantId, psp: null, currency };
}

export function merchantAvailable(merchantId: string, currency: Currency): AccountRef {
  return {
    id: accountId('merchant_available', merchantId, currency),
    kind: 'merchant_available',
    merchantId,
    psp: null,
    currency,
  };
}

export function pspClearing(psp: string, currency: Currency): AccountRef {
  return { id: accountId('psp_clearing', psp, currency), kind: 'psp_clearing', merchantId: null, psp, currency };
}

export function feeRevenue(currency: Currency): AccountRef {
  return { id: accountId('fee_revenue', PLATFORM, currency), kind: 'fee_revenue', merchantId: null, psp: null, currency };
}

export function bank(currency: Currency): AccountRef {
  return { id: accountId('bank', PLATFORM, currency), kind: 'bank', merchantId: null, psp: null, currency };
}

export function refundsInTransit(currency: Currency): AccountRef {
  return {
    id: accountId('refunds_in_transit', PLATFORM, currency),
    kind: 'refunds_in_transit',
    merchantId: null,
    psp: null,
    currency,
  };
}

/** Payouts on their way from our bank to merchants' banks (lib/payouts): owed until the bank transfer is booked. */
export function payoutClearing(currency: Currency): AccountRef {
  return { id: accountId('payout_clearing', PLATFORM, currency), kind: 'payout_clearing', merchantId: null, psp: null, currency };
}
