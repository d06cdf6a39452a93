import type { Inngest } from 'inngest';
import { parseEventData, RECONCILIATION_REQUESTED, reconciliationRequestedData } from '@/inngest/events';
import { reconcile } from '@/lib/reconciliation';

/**
 * On demand (the operator console's "re-run"): reconcile one PSP's day now. Safe to repeat: the
 * same report finds its run and changes nothing; a newer report is a new run whose healing is
 * keyed by the PSP's line ids, so nothing is applied twice.
 */
export const defineReconcileRequested = (inngest: Inngest) =>
  inngest.createFunction({ id: 'reconcile-requested', retries: 3, triggers: [{ event: RECONCILIATION_REQUESTED }] }, async ({ event, step }) => {
    const { psp, date } = parseEventData(reconciliationRequestedData, event.data, RECONCILIATION_REQUESTED);
    return step.run('reconcile', () => reconcile({ psp, date }));
  });
