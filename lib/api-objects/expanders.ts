import { getDb } from '@/db/client';
import { retrieveCustomerJson } from '@/lib/customers';
import { getPaymentMethod, serializePaymentMethod } from '@/lib/payment-methods';
import { retrievePaymentIntentJson } from '@/lib/payments/intents';
import { balanceTransactionJson } from '@/lib/wallet/api';
import { retrieveChargeJson } from './charge';

/** Loads the object an id names, for one merchant (another merchant's id is a 404, as on retrieve). */
export type Expander = (merchantId: string, id: string) => Promise<unknown>;

const paymentMethod: Expander = async (merchantId, id) => serializePaymentMethod(await getPaymentMethod(getDb(), merchantId, id));
const charge: Expander = (merchantId, id) => retrieveChargeJson(merchantId, id);
const paymentIntent: Expander = (merchantId, id) => retrievePaymentIntentJson(merchantId, id);
// a deleted customer expands to Stripe's deleted object, as its retrieve answers
const customer: Expander = (merchantId, id) => retrieveCustomerJson(merchantId, id);
// the ledger line a capture posted (null on the charge until the posting consumer has run)
const balanceTransaction: Expander = (merchantId, id) => balanceTransactionJson(merchantId, id);

/**
 * What `expand[]` may expand: object type -> field -> loader. Add a line here for a new
 * expandable field; lib/api-objects/expand.ts refuses the rest.
 */
export const EXPANDERS: Record<string, Record<string, Expander>> = {
  payment_intent: { latest_charge: charge, payment_method: paymentMethod, customer },
  charge: { payment_intent: paymentIntent, customer, balance_transaction: balanceTransaction },
};
