import { randomUUID } from 'node:crypto';
import { inngest } from '@/inngest/client';
import { PSP_CALLBACK_RECEIVED } from '@/inngest/events';
import { receiveMpesaCallback } from '@/lib/inbox/mpesa';
import { env } from '@/lib/env';
import { errorResponse, jsonResponse } from '@/lib/http/api';
import { requireClientIp } from '@/lib/http/client-ip';
import { enforceRateLimit } from '@/lib/rate-limit';

export const dynamic = 'force-dynamic';

// Event id = 'inbox-' + row id: a redelivered callback re-sends the same event and the engine drops it.
const notifyEngine = async (inboxId: string, psp: string) => {
  await inngest.send({ id: `inbox-${inboxId}`, name: PSP_CALLBACK_RECEIVED, data: { inboxId, psp } });
};

/** Daraja's STK callbacks (unsigned): token-checked, shape-checked, stored once, answered at once; applied in the background. */
export async function POST(request: Request, { params }: { params: Promise<{ token: string }> }): Promise<Response> {
  try {
    // per source address: generous, since a PSP sends every merchant's callbacks from a few
    await enforceRateLimit('psp_callback', requireClientIp(request.headers, env().TRUST_PROXY));
    const { token } = await params;
    const rawBody = await request.text();
    const stored = await receiveMpesaCallback({ token, rawBody, headers: request.headers }, notifyEngine);
    // Daraja's documented acknowledgement shape.
    return jsonResponse(200, { ResultCode: 0, ResultDesc: 'Accepted', duplicate: stored.duplicate });
  } catch (err) {
    return errorResponse(err, `req_${randomUUID()}`);
  }
}
