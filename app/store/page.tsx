import type { Metadata } from 'next';
import { AddToCartButton } from '@/components/store/add-to-cart-button';
import { formatMoney } from '@/lib/money';
import { loadStorefrontOrError } from './store-data';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Store' };

export default async function StorePage() {
  const { store, error } = await loadStorefrontOrError();
  return (
    <main id="main" className="page">
      <h1>Shop</h1>
      {error !== null ? (
        <p className="notice notice-error" role="alert" data-testid="store-error">
          The store is unavailable: {error}
        </p>
      ) : store.products.length === 0 ? (
        <p className="muted" data-testid="store-empty">
          Nothing for sale yet.
        </p>
      ) : (
        <>
          <p className="muted">Sold by {store.merchantName}. Everything ships free.</p>
          <ul className="product-grid" data-testid="product-grid">
            {store.products.map((p) => (
              <li key={p.id} className="product-card" data-testid={`product-${p.id}`}>
                {/* eslint-disable-next-line @next/next/no-img-element -- local SVGs need no optimisation */}
                <img src={p.image} alt={p.name} width={320} height={240} className="product-image" />
                <div className="product-body">
                  <h2 className="product-name">{p.name}</h2>
                  <p className="muted small product-description">{p.description}</p>
                  <p className="product-price" data-testid={`price-${p.id}`}>
                    {formatMoney(p.unitAmount, p.currency)}
                  </p>
                  <AddToCartButton productId={p.id} productName={p.name} />
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
    </main>
  );
}
