'use client';

import Link from 'next/link';
import { useState } from 'react';
import { formatMoney } from '@/lib/money';
import { cartLines, MAX_QUANTITY, removeItem, setQuantity, type CartProduct } from './cart';
import { useCart } from './use-cart';

export type CheckoutResult = { ok: true; redirectUrl: string } | { ok: false; message: string };
export type CheckoutAction = (input: {
  cartId: string;
  items: { productId: string; quantity: number }[];
}) => Promise<CheckoutResult>;

export function CartView({ products, checkout }: { products: CartProduct[]; checkout: CheckoutAction }) {
  const { cart, update } = useCart();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (cart === undefined) {
    return (
      <p className="muted" aria-busy="true">
        Loading your cart…
      </p>
    );
  }
  const { lines, unavailable } = cart ? cartLines(cart, products) : { lines: [], unavailable: [] };

  if (lines.length === 0 && unavailable.length === 0) {
    return (
      <div className="empty-state" data-testid="cart-empty">
        <p>Your cart is empty.</p>
        <Link href="/store" className="button button-primary">
          Browse products
        </Link>
      </div>
    );
  }

  const currency = lines[0]?.product.currency ?? 'usd';
  const total = lines.reduce((sum, l) => sum + l.lineTotal, 0);

  async function onCheckout() {
    if (!cart || pending) return;
    setPending(true);
    setError(null);
    try {
      const result = await checkout({ cartId: cart.id, items: cart.items });
      if (result.ok) {
        // Stay "pending" while the browser leaves for the pay page.
        window.location.assign(result.redirectUrl);
        return;
      }
      setError(result.message);
    } catch {
      setError('Checkout could not be started. Check your connection and try again.');
    }
    setPending(false);
  }

  return (
    <div className="cart-layout">
      <section aria-labelledby="cart-items-heading" className="panel">
        <h2 id="cart-items-heading" className="visually-hidden">
          Items
        </h2>
        {unavailable.length > 0 && (
          <div className="notice notice-warning" role="status">
            <p>
              {unavailable.length === 1 ? 'One item in your cart is' : `${unavailable.length} items in your cart are`} no longer
              sold.
            </p>
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={() => update((c) => unavailable.reduce((acc, id) => removeItem(acc, id), c))}
            >
              Remove unavailable items
            </button>
          </div>
        )}
        <ul className="cart-lines">
          {lines.map(({ product, quantity, lineTotal }) => (
            <li key={product.id} className="cart-line" data-testid={`cart-line-${product.id}`}>
              {/* eslint-disable-next-line @next/next/no-img-element -- local SVGs need no optimisation */}
              <img src={product.image} alt="" width={64} height={64} className="cart-line-image" />
              <div className="cart-line-info">
                <p className="cart-line-name">{product.name}</p>
                <p className="muted small">{formatMoney(product.unitAmount, product.currency)} each</p>
              </div>
              <div className="qty" role="group" aria-label={`Quantity of ${product.name}`}>
                <button
                  type="button"
                  className="qty-button"
                  aria-label={`Decrease quantity of ${product.name}`}
                  data-testid={`cart-decrease-${product.id}`}
                  onClick={() => update((c) => setQuantity(c, product.id, quantity - 1))}
                  disabled={pending}
                >
                  −
                </button>
                <span className="qty-value" data-testid={`cart-qty-${product.id}`} aria-live="polite">
                  {quantity}
                </span>
                <button
                  type="button"
                  className="qty-button"
                  aria-label={`Increase quantity of ${product.name}`}
                  data-testid={`cart-increase-${product.id}`}
                  onClick={() => update((c) => setQuantity(c, product.id, quantity + 1))}
                  disabled={pending || quantity >= MAX_QUANTITY}
                >
                  +
                </button>
              </div>
              <p className="cart-line-total">{formatMoney(lineTotal, product.currency)}</p>
              <button
                type="button"
                className="link-button small"
                onClick={() => update((c) => removeItem(c, product.id))}
                disabled={pending}
                data-testid={`cart-remove-${product.id}`}
              >
                Remove<span className="visually-hidden"> {product.name}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <aside aria-labelledby="cart-summary-heading" className="panel cart-summary">
        <h2 id="cart-summary-heading">Order summary</h2>
        <dl className="summary-rows">
          <div>
            <dt>Subtotal</dt>
            <dd>{formatMoney(total, currency)}</dd>
          </div>
          <div>
            <dt>Shipping</dt>
            <dd>Free</dd>
          </div>
          <div className="summary-total">
            <dt>Total</dt>
            <dd data-testid="cart-total">{formatMoney(total, currency)}</dd>
          </div>
        </dl>
        {error && (
          <p className="notice notice-error" role="alert" data-testid="checkout-error">
            {error}
          </p>
        )}
        <button
          type="button"
          className="button button-primary button-block button-large"
          onClick={onCheckout}
          disabled={pending || lines.length === 0 || unavailable.length > 0}
          aria-busy={pending}
          data-testid="checkout-button"
        >
          {pending ? 'Starting checkout…' : 'Checkout'}
        </button>
        <p className="muted small center">You will pay on a secure page hosted by paykit.</p>
      </aside>
    </div>
  );
}
