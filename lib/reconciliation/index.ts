export { reconcile, parseReportDate, type ReconcileInput, type ReconcileSummary } from './run';
export { settleDueLines } from './settle';
export { healRun } from './heal';
