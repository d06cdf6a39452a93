/**
 * Which background engine runs our functions: the one place that decides it, read by the
 * Inngest client (dev mode or not), by `npm start` (launch the embedded engine or not) and by the
 * dead-letter replay (how to start a run again).
 *
 * - `dev`: an `inngest dev` server (INNGEST_DEV set to anything but 0/false/no); SDK dev mode, unsigned.
 * - `embedded`: our engine (inngest/engine), the default when nothing names a real Inngest. `npm start`
 *   hands the app processes INNGEST_BASE_URL + keys pointing at it, and PAYKIT_ENGINE=embedded so that
 *   they, too, know the base URL is ours and not a self-hosted Inngest.
 * - `inngest`: real Inngest: Cloud (INNGEST_EVENT_KEY + INNGEST_SIGNING_KEY) or self-hosted
 *   `inngest start` (INNGEST_BASE_URL too).
 */
export type EngineMode = 'dev' | 'embedded' | 'inngest';

/** Set by `npm start` in the app's environment when it launched the embedded engine. */
export const EMBEDDED_ENGINE_MARKER = { PAYKIT_ENGINE: 'embedded' } as const;

function flagSet(value: string | undefined): boolean {
  const v = value?.trim().toLowerCase();
  return Boolean(v) && !['0', 'false', 'no'].includes(v!);
}

export function engineMode(env: Record<string, string | undefined> = process.env): EngineMode {
  if (flagSet(env.INNGEST_DEV)) return 'dev';
  if (env.PAYKIT_ENGINE === EMBEDDED_ENGINE_MARKER.PAYKIT_ENGINE) return 'embedded';
  const namesServer = env.INNGEST_BASE_URL || env.INNGEST_API_BASE_URL || env.INNGEST_EVENT_API_BASE_URL;
  if (namesServer || (env.INNGEST_EVENT_KEY && env.INNGEST_SIGNING_KEY)) return 'inngest';
  return 'embedded';
}
