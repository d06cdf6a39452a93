import { randomUUID } from 'node:crypto';
import { payCheckoutSession, payWithCardBody } from '@/lib/checkout/pay';
import { env } from '@/lib/env';
import { errorResponse, jsonResponse, readJsonBody } from '@/lib/http/api';
import { requireClientIp } from '@/lib/http/client-ip';
import { parseInput } from '@/lib/http/validation';
import { enforceRateLimit } from '@/lib/rate-limit';

export const dynamic = 'force-dynamic';

/** The hosted pay page's confirm call: the customer's browser, authenticated by the session id. */
export async function POST(request: Request, { params }: { params: Promise<{ sessionId: string }> }): Promise<Response> {
  const requestId = `req_${randomUUID().replaceAll('-', '')}`;
  try {
    const customerIp = requireClientIp(request.headers, env().TRUST_PROXY);
    await enforceRateLimit('pay_page', customerIp);
    const { sessionId } = await params;
    const body = parseInput(payWithCardBody, await readJsonBody(request));
    const outcome = await payCheckoutSession({
      sessionId,
      token: body.token,
      email: body.email,
      customerIp,
      idempotencyKey: request.headers.get('idempotency-key') ?? randomUUID(),
    });
    return jsonResponse(outcome.status, outcome.body, { 'request-id': requestId, ...(outcome.replayed ? { 'idempotent-replayed': 'true' } : {}) });
  } catch (err) {
    return errorResponse(err, requestId);
  }
}
