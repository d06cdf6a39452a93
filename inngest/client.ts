import { Inngest } from 'inngest';

export type InngestMode = 'dev' | 'embedded' | 'cloud';

/**
 * Which Inngest server the app talks to, decided by the environment:
 * - INNGEST_DEV set           -> an `inngest dev` server (SDK dev mode, no signing);
 * - INNGEST_BASE_URL + keys   -> our embedded engine (cloud protocol, signed; npm start sets these);
 * - keys without a base URL   -> Inngest Cloud.
 */
export function inngestMode(env: Record<string, string | undefined> = process.env): InngestMode {
  const dev = env.INNGEST_DEV?.trim().toLowerCase();
  if (dev && !['0', 'false', 'no'].includes(dev)) return 'dev';
  if (env.INNGEST_BASE_URL || env.INNGEST_API_BASE_URL || env.INNGEST_EVENT_API_BASE_URL) return 'embedded';
  return 'cloud';
}

/**
 * The one Inngest client. The SDK reads INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY,
 * INNGEST_BASE_URL and INNGEST_DEV itself; we only pin the mode so that a base URL alone never
 * silently turns signature checks off.
 */
export const inngest = new Inngest({ id: 'paykit', isDev: inngestMode() === 'dev' });
