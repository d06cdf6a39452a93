import Link from 'next/link';

const CONCEPTS = [
  {
    title: 'Checkout sessions',
    body: 'Your server creates a session with POST /api/v1/checkout/sessions and sends the customer to its hosted pay page. Card data goes from the browser straight to the card network’s tokenizer; your server and ours only see a token, the brand and the last four digits.',
  },
  {
    title: 'Idempotency',
    body: 'Every POST takes an Idempotency-Key. Retrying with the same key and body returns the first response, so a timeout never charges a customer twice.',
  },
  {
    title: 'Risk checks',
    body: 'Each payment attempt is checked before it reaches the card network: velocity per IP address, card and email, amount ceilings and blocklists. A blocked attempt is refused with a clear reason.',
  },
  {
    title: 'Ledger and wallets',
    body: 'Money moves as double-entry journal transactions in integer minor units. Entries are immutable; wallet balances are projections that always equal the sum of their entries.',
  },
  {
    title: 'Webhooks',
    body: "Merchants hear about every payment through signed webhooks (Stripe-Signature, HMAC-SHA256: verified by the Stripe SDK's constructEvent), retried with backoff until delivered.",
  },
  {
    title: 'Reconciliation',
    body: 'A scheduled job matches each PSP’s settlement report against payments and the ledger, heals what it safely can and flags the rest.',
  },
];

const CURL = `curl -X POST $APP_URL/api/v1/checkout/sessions \\
  -H "Authorization: Bearer sk_test_..." \\
  -H "Idempotency-Key: order-1042" \\
  -H "Content-Type: application/json" \\
  -d '{"currency":"usd",
       "line_items":[{"name":"Mug","quantity":1,"unit_amount":1500}],
       "success_url":"https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}",
       "cancel_url":"https://shop.example/cart"}'`;

export default function HomePage() {
  return (
    <main id="main" className="page">
      <header className="hero">
        <p className="eyebrow">Open source · self-hosted</p>
        <h1>paykit</h1>
        <p className="lead">
          A payment platform you run yourself: a hosted checkout page, risk checks, a double-entry ledger, merchant wallets and
          signed webhooks, with an offline card network so everything works out of the box.
        </p>
        <p className="actions">
          <Link href="/store" className="button button-primary button-large" data-testid="home-store-link">
            Try the demo store
          </Link>
        </p>
        <p className="muted small">
          Test mode: pay with card <code>4242 4242 4242 4242</code>, any future expiry date and any CVC.
        </p>
      </header>

      <section aria-labelledby="concepts-heading" className="section">
        <h2 id="concepts-heading">Concepts</h2>
        <p className="muted">The README in the repository covers each of these in depth.</p>
        <ul className="concept-grid">
          {CONCEPTS.map((c) => (
            <li key={c.title} className="panel">
              <h3>{c.title}</h3>
              <p>{c.body}</p>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="api-heading" className="section">
        <h2 id="api-heading">Create a checkout session</h2>
        <p className="muted">
          Amounts are integers in minor units (cents). The response carries a <code>url</code>: redirect your customer there.
        </p>
        <pre className="code-block" tabIndex={0} aria-label="Example request">
          <code>{CURL}</code>
        </pre>
      </section>
    </main>
  );
}
