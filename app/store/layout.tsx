import Link from 'next/link';
import type { ReactNode } from 'react';
import { CartLink } from '@/components/store/cart-link';
import { storeName } from './store-data';

export default async function StoreLayout({ children }: { children: ReactNode }) {
  const name = await storeName();
  return (
    <>
      <header className="store-header">
        <div className="store-header-inner">
          <Link href="/store" className="store-brand" data-testid="store-home">
            <span className="store-logo" aria-hidden="true">
              ◆
            </span>
            {name}
          </Link>
          <nav aria-label="Store">
            <CartLink />
          </nav>
        </div>
      </header>
      {children}
      <footer className="store-footer">
        <p className="muted small">
          A demo shop running on <Link href="/">paykit</Link>. Test mode: no real money moves.
        </p>
      </footer>
    </>
  );
}
