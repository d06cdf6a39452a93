'use client';

import { useEffect, useState } from 'react';
import { addItem } from './cart';
import { useCart } from './use-cart';

export function AddToCartButton({ productId, productName }: { productId: string; productName: string }) {
  const { update } = useCart();
  const [added, setAdded] = useState(false);

  useEffect(() => {
    if (!added) return;
    const timer = setTimeout(() => setAdded(false), 1500);
    return () => clearTimeout(timer);
  }, [added]);

  return (
    <button
      type="button"
      className="button button-primary button-block"
      data-testid={`add-to-cart-${productId}`}
      aria-label={`Add ${productName} to cart`}
      onClick={() => {
        update((cart) => addItem(cart, productId));
        setAdded(true);
      }}
    >
      <span aria-live="polite">{added ? 'Added ✓' : 'Add to cart'}</span>
    </button>
  );
}
