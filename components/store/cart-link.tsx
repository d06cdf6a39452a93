'use client';

import Link from 'next/link';
import { itemCount } from './cart';
import { useCart } from './use-cart';

export function CartLink() {
  const { cart } = useCart();
  const count = itemCount(cart ?? null);
  return (
    <Link
      href="/store/cart"
      className="cart-link"
      data-testid="cart-link"
      aria-label={`Cart, ${count} ${count === 1 ? 'item' : 'items'}`}
    >
      <svg
        aria-hidden="true"
        width="20"
        height="20"
        viewBox="0 0 24 24"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
        strokeLinejoin="round"
      >
        <circle cx="9" cy="21" r="1" />
        <circle cx="20" cy="21" r="1" />
        <path d="M1 1h4l2.7 13.4a2 2 0 0 0 2 1.6h9.7a2 2 0 0 0 2-1.6L23 6H6" />
      </svg>
      <span>Cart</span>
      <span className="cart-count" data-testid="cart-count">
        {count}
      </span>
    </Link>
  );
}
