'use client';

import { useEffect } from 'react';
import { useCart } from './use-cart';

/** Rendered on the order page once the payment is confirmed: the cart it was bought from is emptied. */
export function ClearCart({ cartId }: { cartId: string | null }) {
  const { cart, clear } = useCart();
  useEffect(() => {
    // Without a cart id (an order made elsewhere) the current cart is left alone.
    if (cart && cartId && cart.id === cartId) clear();
  }, [cart, cartId, clear]);
  return null;
}
