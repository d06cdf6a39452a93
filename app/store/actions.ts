'use server';

import type { CheckoutResult } from '@/components/store/cart-view';
import { AppError, normalizeError } from '@/lib/errors';
import { createStoreCheckout } from '@/lib/store/storefront';

/** Opens a checkout session for the browser's cart; prices come from the database, never from the client. */
export async function startCheckout(input: {
  cartId: string;
  items: { productId: string; quantity: number }[];
}): Promise<CheckoutResult> {
  try {
    const { redirectUrl } = await createStoreCheckout(input);
    return { ok: true, redirectUrl };
  } catch (err) {
    const appError = normalizeError(err);
    // Our own AppErrors carry customer-safe messages; anything else was logged by normalizeError.
    return {
      ok: false,
      message: err instanceof AppError ? appError.message : 'Checkout could not be started. Please try again.',
    };
  }
}
