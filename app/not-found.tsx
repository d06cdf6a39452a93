import Link from 'next/link';

export default function NotFound() {
  return (
    <main id="main" className="page-narrow center-page">
      <div className="panel center" data-testid="not-found">
        <p className="eyebrow">404</p>
        <h1>Page not found</h1>
        <p className="muted">The page you asked for does not exist, or the link has expired.</p>
        <p className="actions">
          <Link href="/" className="button button-secondary">
            Home
          </Link>
          <Link href="/store" className="button button-primary">
            Visit the demo store
          </Link>
        </p>
      </div>
    </main>
  );
}
