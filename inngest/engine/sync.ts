import { z } from 'zod';
import type { Db } from '@/db/client';
import { canonicalJson } from './canonical-json';
import type { CompiledFunction } from './function-config';
import { isSdkApiAuthorization, signRequestBody } from './signing';
import { replaceAppFunctions } from './store';

const syncBodySchema = z.object({
  /** in-band answers call it app_id, out-of-band registrations appName */
  app_id: z.string().optional(),
  appName: z.string().optional(),
  url: z.string().optional(),
  functions: z.array(z.unknown()),
});

export class SyncError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'SyncError';
  }
}

async function storeSync(db: Db, body: unknown): Promise<CompiledFunction[]> {
  const parsed = syncBodySchema.safeParse(body);
  if (!parsed.success) throw new SyncError(`invalid sync body: ${parsed.error.message}`, 400);
  const appId = parsed.data.app_id ?? parsed.data.appName;
  if (!appId) throw new SyncError('sync body names no app', 400);
  try {
    return await replaceAppFunctions(db, appId, parsed.data.functions);
  } catch (err) {
    throw new SyncError((err as Error).message, 400);
  }
}

/**
 * Asks the app's serve endpoint for its functions with an in-band sync: a signed PUT with
 * `x-inngest-sync-kind: in_band`, answered by the function configs. If the SDK refuses in-band
 * sync (INNGEST_ALLOW_IN_BAND_SYNC=0) it registers out of band instead, by POSTing to our
 * /fn/register (so the engine's HTTP server must be reachable at INNGEST_BASE_URL).
 */
export async function syncFromServeEndpoint(options: {
  db: Db;
  serveUrl: string;
  signingKey: string;
}): Promise<CompiledFunction[] | 'out-of-band'> {
  const body = canonicalJson({ url: options.serveUrl });
  const response = await fetch(options.serveUrl, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      'x-inngest-sync-kind': 'in_band',
      'x-inngest-server-kind': 'cloud',
      'x-inngest-signature': signRequestBody(body, options.signingKey),
    },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok)
    throw new SyncError(`sync with ${options.serveUrl} failed: HTTP ${response.status} ${text.slice(0, 500)}`, response.status);
  if (response.headers.get('x-inngest-sync-kind') !== 'in_band') return 'out-of-band';
  return storeSync(options.db, JSON.parse(text));
}

/** POST /fn/register: the SDK's out-of-band registration, authenticated by the hashed signing key. */
export async function handleOutOfBandRegister(options: {
  db: Db;
  signingKey: string;
  authorization: string | null;
  body: unknown;
}) {
  if (!isSdkApiAuthorization(options.authorization, options.signingKey)) throw new SyncError('invalid signing key', 401);
  return storeSync(options.db, options.body);
}
