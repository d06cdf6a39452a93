/**
 * Runs once when the Next server starts. The Node.js part validates the environment (a bad or
 * missing variable stops the server at boot with a message that names it) and starts the
 * outbox relay that hands committed events to the background engine.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { validateEnvironmentOrExit } = await import('./lib/env/boot');
    validateEnvironmentOrExit();
    const { ensureOutboxRelay } = await import('./inngest/relay');
    ensureOutboxRelay();
    // Daraja's C2B ValidationURL / ConfirmationURL for Pay with Paybill (idempotent re-registration)
    const { registerPaybillUrlsAtStart } = await import('./lib/checkout/paybill');
    registerPaybillUrlsAtStart();
  }
}
