import type { Metadata } from 'next';
import { CartView } from '@/components/store/cart-view';
import { startCheckout } from '../actions';
import { loadStorefrontOrError } from '../store-data';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Your cart' };

export default async function CartPage() {
  const { store, error } = await loadStorefrontOrError();
  return (
    <main id="main" className="page">
      <h1>Your cart</h1>
      {error !== null ? (
        <p className="notice notice-error" role="alert" data-testid="store-error">
          The store is unavailable: {error}
        </p>
      ) : (
        <CartView products={store.products} checkout={startCheckout} />
      )}
    </main>
  );
}
