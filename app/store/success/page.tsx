import type { Metadata } from 'next';
import Link from 'next/link';
import { ClearCart } from '@/components/store/clear-cart';
import { normalizeError } from '@/lib/errors';
import { formatMoney } from '@/lib/money';
import { getStoreOrder, type StoreOrder } from '@/lib/store/storefront';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Your order' };

type Loaded = { order: StoreOrder | null; error: null } | { order: null; error: string };

async function load(sessionId: string | undefined): Promise<Loaded> {
  if (!sessionId) return { order: null, error: null };
  try {
    return { order: await getStoreOrder(sessionId), error: null };
  } catch (err) {
    return { order: null, error: normalizeError(err).message };
  }
}

export default async function SuccessPage({ searchParams }: { searchParams: Promise<{ session_id?: string | string[] }> }) {
  const raw = (await searchParams).session_id;
  const sessionId = Array.isArray(raw) ? raw[0] : raw;
  const { order, error } = await load(sessionId);

  return (
    <main id="main" className="page-narrow">
      {error !== null ? (
        <div className="panel" data-testid="order-error">
          <h1>We could not load your order</h1>
          <p className="notice notice-error" role="alert">
            {error}
          </p>
          <p>
            <Link href={`/store/success?session_id=${encodeURIComponent(sessionId ?? '')}`}>Try again</Link>
          </p>
        </div>
      ) : !order ? (
        <div className="panel" data-testid="order-missing">
          <h1>Order not found</h1>
          <p className="muted">This link does not point to an order of this store.</p>
          <Link href="/store" className="button button-primary">
            Back to the store
          </Link>
        </div>
      ) : order.paid ? (
        <div className="panel" data-testid="order-success">
          <ClearCart cartId={order.cartId} />
          <div className="success-mark" aria-hidden="true">
            ✓
          </div>
          <h1>Thank you — payment received</h1>
          {order.receiptSent && order.customerEmail ? (
            <p className="muted" data-testid="order-receipt-note">
              A receipt is on its way to {order.customerEmail}.
            </p>
          ) : null}
          {order.orderRef ? (
            <p className="muted">
              Your order reference is <strong data-testid="order-ref">{order.orderRef}</strong>.
            </p>
          ) : null}
          <OrderSummary order={order} />
          <Link href="/store" className="button button-secondary">
            Continue shopping
          </Link>
        </div>
      ) : (
        <div className="panel" data-testid="order-unpaid">
          <h1>{order.status === 'expired' ? 'This checkout expired' : 'Payment not received yet'}</h1>
          <p className="muted">
            {order.status === 'expired'
              ? 'The payment page timed out before a payment was made. Nothing was charged.'
              : 'We have not received a payment for this order. If you just paid, refresh this page in a moment.'}
          </p>
          <OrderSummary order={order} />
          <p className="actions">
            <Link href="/store/cart" className="button button-primary">
              Back to your cart
            </Link>
          </p>
        </div>
      )}
    </main>
  );
}

function OrderSummary({ order }: { order: StoreOrder }) {
  return (
    <section aria-labelledby="order-summary-heading" className="order-summary">
      <h2 id="order-summary-heading">Order summary</h2>
      {order.lines.length > 0 && (
        <ul className="summary-lines">
          {order.lines.map((line, i) => (
            <li key={`${line.name}-${i}`}>
              <span>
                {line.name} <span className="muted">× {line.quantity}</span>
              </span>
              <span>{formatMoney(line.amountTotal, order.currency)}</span>
            </li>
          ))}
        </ul>
      )}
      <p className="summary-total-line">
        <span>{order.paid ? 'Total paid' : 'Total'}</span>
        <span data-testid="order-total">{formatMoney(order.amountTotal, order.currency)}</span>
      </p>
    </section>
  );
}
