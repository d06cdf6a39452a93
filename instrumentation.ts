/**
 * Runs once when the Next server starts. The Node.js part validates the environment (a bad or
 * missing variable stops the server at boot with a message that names it) and starts the
 * outbox relay that hands committed events to the background engine (OUTBOX_RELAY=off: not here).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { validateEnvironmentOrExit } = await import('./lib/env/boot');
    validateEnvironmentOrExit();
    const { ensureOutboxRelay } = await import('./inngest/relay');
    ensureOutboxRelay();
    // Daraja's C2B ValidationURL / ConfirmationURL for Pay with Paybill (idempotent re-registration),
    // once per start: by the API server, not by the functions server beside it (scripts/lib/processes.ts)
    const { isFunctionsServer } = await import('./lib/env/server-role');
    if (!isFunctionsServer()) {
      const { registerPaybillUrlsAtStart } = await import('./lib/checkout/paybill');
      registerPaybillUrlsAtStart();
    }
  }
}
