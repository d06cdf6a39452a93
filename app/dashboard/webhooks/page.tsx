import type { Metadata } from 'next';
import Link from 'next/link';
import { ActionForm } from '@/components/dashboard/action-form';
import { ConfirmActionForm } from '@/components/dashboard/confirm-action-form';
import { CreateEndpointForm } from '@/components/dashboard/create-endpoint-form';
import formStyles from '@/components/dashboard/forms.module.css';
import { DataTable } from '@/components/dashboard/ui/data-table';
import { StatusBadge } from '@/components/dashboard/status-badge';
import { can } from '@/lib/auth/permissions';
import { listDeadLetters, listDeliveryLog, listEndpoints, WEBHOOK_EVENT_CHOICES } from '@/lib/dashboard/webhooks';
import styles from '../dashboard.module.css';
import { requireUser } from '../session';
import {
  createEndpointAction,
  deleteEndpointAction,
  redeliverAction,
  replayDeadLetterFormAction,
  sendTestEventAction,
  toggleEndpointAction,
  updateEndpointAction,
} from './actions';

export const metadata: Metadata = { title: 'Webhooks' };
export const dynamic = 'force-dynamic';

function when(d: Date): string {
  return `${d.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

export default async function WebhooksPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await requireUser();
  const params = await searchParams;
  const before = params.before && /^whd_[0-9A-Za-z]+$/.test(params.before) ? params.before : undefined;
  const [endpoints, log, deadLetters] = await Promise.all([
    listEndpoints(user.merchantId),
    listDeliveryLog(user.merchantId, { before }),
    listDeadLetters(user.merchantId),
  ]);
  const canWrite = can(user, 'webhooks:write');
  return (
    <>
      <h1>Webhooks</h1>
      {!canWrite ? <p className="notice">Your role can read webhooks; an owner or developer can change them.</p> : null}

      <section className={styles.card} aria-labelledby="endpoints-heading">
        <h2 id="endpoints-heading">Endpoints</h2>
        {endpoints.length === 0 ? (
          <p className="empty-state" data-testid="endpoints-empty">
            No endpoints yet. Add one to be told about payments and refunds as they happen.
          </p>
        ) : (
          <ul className={styles.plainList} data-testid="endpoints">
            {endpoints.map((e) => (
              <li key={e.id} data-testid="endpoint" data-endpoint-id={e.id}>
                <div className={formStyles.row}>
                  <strong className={styles.mono} data-testid="endpoint-url-text">
                    {e.url}
                  </strong>
                  <StatusBadge status={e.status} testId="endpoint-status" />
                  {e.failedDeliveries > 0 ? <span className={styles.problem}>{e.failedDeliveries} failing</span> : null}
                </div>
                <p className="small muted">
                  {e.id} · events: {e.enabledEvents.join(', ')}
                  {e.description ? ` · ${e.description}` : ''}
                  {e.disabledReason ? ` · ${e.disabledReason}` : ''}
                </p>
                {canWrite ? (
                  <div className={formStyles.row}>
                    <details className={styles.details}>
                      <summary>Edit events</summary>
                      <ActionForm
                        action={updateEndpointAction}
                        submitLabel="Save events"
                        successText="Saved."
                        testId="update-endpoint-form"
                      >
                        <input type="hidden" name="endpointId" value={e.id} />
                        <fieldset className={formStyles.checks}>
                          <legend className={formStyles.legend}>Events to send</legend>
                          {WEBHOOK_EVENT_CHOICES.map((t) => (
                            <label key={t}>
                              <input type="checkbox" name="events" value={t} defaultChecked={e.enabledEvents.includes(t)} />
                              {t === '*' ? 'All events (*)' : t}
                            </label>
                          ))}
                        </fieldset>
                      </ActionForm>
                    </details>
                    <ActionForm
                      action={toggleEndpointAction}
                      submitLabel={e.status === 'enabled' ? 'Disable' : 'Enable'}
                      variant="secondary"
                      testId="toggle-endpoint-form"
                      inline
                    >
                      <input type="hidden" name="endpointId" value={e.id} />
                      <input type="hidden" name="enabled" value={e.status === 'enabled' ? 'false' : 'true'} />
                    </ActionForm>
                    <ActionForm
                      action={sendTestEventAction}
                      submitLabel="Send test event"
                      pendingLabel="Sending…"
                      variant="secondary"
                      testId="test-endpoint-form"
                      inline
                    >
                      <input type="hidden" name="endpointId" value={e.id} />
                    </ActionForm>
                    <ConfirmActionForm
                      action={deleteEndpointAction}
                      askLabel="Delete"
                      question={
                        <>
                          Delete <span className={styles.mono}>{e.url}</span>? It stops receiving events at once; its delivery
                          history stays in the log. This cannot be undone.
                        </>
                      }
                      confirmLabel="Yes, delete endpoint"
                      pendingLabel="Deleting…"
                      testId="delete-endpoint-form"
                    >
                      <input type="hidden" name="endpointId" value={e.id} />
                    </ConfirmActionForm>
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      {canWrite ? (
        <section className={styles.card} aria-labelledby="add-endpoint-heading">
          <h2 id="add-endpoint-heading">Add an endpoint</h2>
          <CreateEndpointForm action={createEndpointAction} eventTypes={WEBHOOK_EVENT_CHOICES} />
        </section>
      ) : null}

      <section className={styles.card} aria-labelledby="log-heading">
        <h2 id="log-heading">Delivery log</h2>
        {log.rows.length === 0 ? (
          <p className="empty-state" data-testid="deliveries-empty">
            No deliveries yet.
          </p>
        ) : (
          <ul className={styles.plainList} data-testid="deliveries">
            {log.rows.map((d) => (
              <li key={d.id} data-testid="delivery" data-event-type={d.eventType} data-status={d.status}>
                <div className={formStyles.row}>
                  <StatusBadge status={d.status} testId="delivery-status" />
                  <strong>{d.eventType}</strong>
                  <span className="small muted">
                    → {d.endpointUrl} · {when(d.createdAt)}
                    {d.nextAttemptAt && d.status === 'pending' ? ` · next try ${when(d.nextAttemptAt)}` : ''}
                  </span>
                </div>
                <details className={styles.details}>
                  <summary>
                    {d.attempts.length} {d.attempts.length === 1 ? 'attempt' : 'attempts'} · event {d.eventId}
                  </summary>
                  {d.attempts.length === 0 ? (
                    <p className="small muted">Not attempted yet.</p>
                  ) : (
                    <DataTable
                      caption={`Attempts of delivery ${d.id}`}
                      rows={d.attempts}
                      rowKey={(a) => String(a.attemptNumber)}
                      rowProps={() => ({ 'data-testid': 'delivery-attempt' })}
                      columns={[
                        { header: '#', cell: (a) => a.attemptNumber },
                        { header: 'Trigger', cell: (a) => a.trigger },
                        { header: 'Status code', cell: (a) => a.statusCode ?? '—' },
                        { header: 'Latency', kind: 'nowrap', cell: (a) => `${a.latencyMs} ms` },
                        { header: 'Response', kind: 'wrap', cell: (a) => a.error ?? a.responseExcerpt ?? '—' },
                        { header: 'Time', kind: 'nowrap', cell: (a) => when(a.createdAt) },
                      ]}
                    />
                  )}
                </details>
                {canWrite ? (
                  <ActionForm
                    action={redeliverAction}
                    submitLabel="Redeliver now"
                    pendingLabel="Sending…"
                    successText="Sent again."
                    variant="secondary"
                    testId="redeliver-form"
                  >
                    <input type="hidden" name="eventId" value={d.eventId} />
                  </ActionForm>
                ) : null}
              </li>
            ))}
          </ul>
        )}
        <nav className={styles.pager} aria-label="Delivery log pages">
          {before ? <Link href="/dashboard/webhooks">← Newest</Link> : null}
          {log.nextCursor ? (
            <Link href={`/dashboard/webhooks?before=${log.nextCursor}`} data-testid="deliveries-next">
              Older →
            </Link>
          ) : null}
        </nav>
      </section>

      <section className={styles.card} aria-labelledby="dead-letters" id="dead-letters-section">
        <h2 id="dead-letters">Failed deliveries and background jobs</h2>
        <p className="small muted">
          Work that kept failing after every retry (for example posting your ledger or sending a webhook). Nothing is lost: retry
          one here once the cause is fixed.
        </p>
        {deadLetters.length === 0 ? (
          <p className="empty-state" data-testid="dead-letters-empty">
            Nothing failed: every delivery and background job went through.
          </p>
        ) : (
          <ul className={styles.plainList} data-testid="dead-letter-list">
            {deadLetters.map((d) => (
              <li key={d.id} data-testid="dead-letter">
                <strong>{d.functionId}</strong> for {d.eventName} · {when(d.createdAt)}
                {d.replayedAt ? ` · replayed ${when(d.replayedAt)}` : ''}
                <details className={styles.details}>
                  <summary>What went wrong</summary>
                  <p className="small muted" data-testid="dead-letter-error">
                    {String((d.error as { message?: unknown }).message ?? JSON.stringify(d.error)).slice(0, 300)}
                  </p>
                </details>
                {canWrite ? (
                  <ActionForm
                    action={replayDeadLetterFormAction}
                    submitLabel="Retry"
                    pendingLabel="Retrying…"
                    successText="A new run started."
                    variant="secondary"
                    testId="replay-form"
                  >
                    <input type="hidden" name="deadLetterId" value={d.id} />
                  </ActionForm>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
