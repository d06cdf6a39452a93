import type { AccountRef } from '@/lib/ledger/accounts';
import type { Currency } from '@/lib/money';

/**
 * What a PSP keeps from the money it settles (its fees): a contra-revenue account, credit-normal
 * like fee revenue, so our fee revenue net of PSP costs is the two summed. One per PSP and currency.
 */
export function pspCost(psp: string, currency: Currency): AccountRef {
  return { id: `acct_fee_revenue.psp_cost_${psp}.${currency}`, kind: 'fee_revenue', merchantId: null, psp, currency };
}
