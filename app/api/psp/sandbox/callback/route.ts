import { randomUUID } from 'node:crypto';
import { PSP_CALLBACK_RECEIVED } from '@/inngest/events';
import { inngest } from '@/inngest/client';
import { env } from '@/lib/env';
import { errorResponse, jsonResponse } from '@/lib/http/api';
import { requireClientIp } from '@/lib/http/client-ip';
import { enforceRateLimit } from '@/lib/rate-limit';
import { receiveSandboxCallback } from '@/lib/inbox/receive';

export const dynamic = 'force-dynamic';

// Event id = 'inbox-' + row id: a redelivered callback re-sends the same event and the engine drops it.
const notifyEngine = async (inboxId: string, psp: string) => {
  await inngest.send({ id: `inbox-${inboxId}`, name: PSP_CALLBACK_RECEIVED, data: { inboxId, psp } });
};

/** The sandbox card network's signed callbacks: verified, stored once, answered at once; applied in the background. */
export async function POST(request: Request): Promise<Response> {
  try {
    // per source address: generous, since a PSP sends every merchant's callbacks from a few
    await enforceRateLimit('psp_callback', requireClientIp(request.headers, env().TRUST_PROXY));
    const rawBody = await request.text();
    const stored = await receiveSandboxCallback({ rawBody, headers: request.headers }, notifyEngine);
    return jsonResponse(200, { received: true, duplicate: stored.duplicate });
  } catch (err) {
    return errorResponse(err, `req_${randomUUID()}`);
  }
}
