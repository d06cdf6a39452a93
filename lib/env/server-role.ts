/**
 * Which of `npm start`'s Next servers this process is (scripts/lib/processes.ts sets the variable):
 * the API server, or the functions server beside the embedded engine, which serves only the
 * engine's calls and runs the outbox relay.
 */
export const SERVER_ROLE_VAR = 'PAYKIT_SERVER_ROLE';
export const FUNCTIONS_ROLE = 'functions';

/**
 * The app's Inngest serve endpoint (app/api/inngest/route.ts), which the engine calls: the one
 * route the functions server answers.
 */
export const INNGEST_SERVE_ROUTE = '/api/inngest';

export function isFunctionsServer(env: Record<string, string | undefined> = process.env): boolean {
  return env[SERVER_ROLE_VAR] === FUNCTIONS_ROLE;
}
