import type { Metadata } from 'next';
import { ApiKeysPanel } from '@/components/dashboard/access/api-keys-panel';
import styles from '@/components/dashboard/access/access.module.css';
import { formatWhen } from '@/components/dashboard/access/format';
import { listApiKeys } from '@/lib/auth/api-keys';
import { can } from '@/lib/auth/permissions';
import { listApiRequests } from '@/lib/http/request-log';
import { requirePermission } from '../guard';
import { createKeyAction, revokeKeyAction, rollKeyAction } from './actions';
import { TableWrap } from '@/components/dashboard/access/table-wrap';

export const metadata: Metadata = { title: 'Developers' };
export const dynamic = 'force-dynamic';

const ENDPOINTS = [
  ['POST', '/api/v1/checkout/sessions', 'create a hosted checkout session'],
  ['POST', '/api/v1/payment_intents', 'create a payment intent'],
  ['GET', '/api/v1/payment_intents[/:id]', 'retrieve or list payment intents'],
  ['POST', '/api/v1/payment_intents/:id/confirm | capture | cancel', 'move a payment along'],
  ['POST', '/api/v1/refunds', 'refund a captured payment'],
  ['GET', '/api/v1/balance', 'available and pending balance'],
  ['POST', '/api/v1/webhook_endpoints', 'receive signed webhooks'],
  ['GET', '/api/v1/events[/:id]', 'every state change as an event'],
] as const;

export default async function DevelopersPage() {
  const user = await requirePermission('dashboard:read');
  const [keys, requests] = await Promise.all([listApiKeys(user.merchantId), listApiRequests(user.merchantId, 100)]);
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <h1>Developers</h1>
        <p className="muted">API keys, your recent API requests, and the API reference.</p>
      </header>

      <section className={styles.card} aria-labelledby="keys-heading">
        <h2 id="keys-heading">API keys</h2>
        <p className={styles.hint}>
          Send a secret key as <code>Authorization: Bearer sk_test_…</code> from your server only. Rolling a key creates a new one
          and revokes the old one at once.
        </p>
        <ApiKeysPanel
          keys={keys.map((k) => ({
            id: k.id,
            redacted: k.redacted,
            mode: k.mode,
            created: formatWhen(k.createdAt),
            lastUsed: formatWhen(k.lastUsedAt, 'Never'),
            revoked: k.revokedAt !== null,
          }))}
          canWrite={can(user, 'keys:write')}
          createKey={createKeyAction}
          rollKey={rollKeyAction}
          revokeKey={revokeKeyAction}
        />
      </section>

      <section className={styles.card} aria-labelledby="log-heading">
        <h2 id="log-heading">Recent API requests</h2>
        {requests.length === 0 ? (
          <p className={styles.empty} data-testid="request-log-empty">
            No API requests yet. Requests made with your secret keys appear here.
          </p>
        ) : (
          <TableWrap label="Recent API requests">
            <table className={styles.table} data-testid="request-log">
              <caption>The last {requests.length} requests, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Method</th>
                  <th scope="col">Path</th>
                  <th scope="col">Status</th>
                  <th scope="col">Latency</th>
                </tr>
              </thead>
              <tbody>
                {requests.map((r) => (
                  <tr key={r.id} data-testid="request-log-row">
                    <td className={styles.nowrap}>{formatWhen(r.createdAt)}</td>
                    <td>{r.method}</td>
                    <td className={styles.mono}>{r.path}</td>
                    <td>
                      <span className={`${styles.badge} ${r.status < 400 ? styles.badgeOk : styles.badgeBad}`}>{r.status}</span>
                    </td>
                    <td className={styles.nowrap}>{r.latencyMs} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>

      <section className={styles.card} aria-labelledby="reference-heading">
        <h2 id="reference-heading">API reference</h2>
        <p className={styles.hint}>
          JSON under /api/v1, Stripe-style: prefixed ids, amounts in minor units, an Idempotency-Key on every POST. The full
          reference is the API section of the project README.
        </p>
        <ul className={styles.endpoints} data-testid="api-reference">
          {ENDPOINTS.map(([method, path, what]) => (
            <li key={path}>
              <code>
                {method} {path}
              </code>{' '}
              <span className="muted">{what}</span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
