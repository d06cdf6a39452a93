export { reconcile, parseReportDate, type ReconcileInput, type ReconcileSummary } from './run';
export { settleDueLines } from './settle';
export { healRun } from './heal';
export { RECONCILED_PSPS, dueReportDate, reconcileScheduled, settleDueRuns, type ScheduledRun } from './schedule';
export { recordRerunRequest, driftOverTime, listOpenExceptions, listRuns, refundException, resolveException, writeOffException, type DriftPoint, type Operator, type RunRow } from './console';
export { getPaymentSettlement, type PaymentSettlement, type SettlementStatus } from './payment-settlement';
