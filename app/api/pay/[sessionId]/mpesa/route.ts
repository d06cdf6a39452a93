import { randomUUID } from 'node:crypto';
import { env } from '@/lib/env';
import { errorResponse, jsonResponse, readJsonBody } from '@/lib/http/api';
import { requireClientIp } from '@/lib/http/client-ip';
import { parseInput } from '@/lib/http/validation';
import { enforceRateLimit } from '@/lib/rate-limit';
import { mpesaStatusForSession, startMpesaBody, startMpesaForSession } from '@/lib/checkout/mpesa';

export const dynamic = 'force-dynamic';

const requestId = () => `req_${randomUUID().replaceAll('-', '')}`;

/** Starts an M-Pesa (STK push) payment for the session: the customer's browser, authenticated by the session id. */
export async function POST(request: Request, { params }: { params: Promise<{ sessionId: string }> }): Promise<Response> {
  const id = requestId();
  try {
    const customerIp = requireClientIp(request.headers, env().TRUST_PROXY);
    await enforceRateLimit('pay_page', customerIp);
    const { sessionId } = await params;
    const body = parseInput(startMpesaBody, await readJsonBody(request));
    const outcome = await startMpesaForSession({
      sessionId,
      phone: body.phone,
      ...(body.email ? { email: body.email } : {}),
      customerIp,
      idempotencyKey: request.headers.get('idempotency-key') ?? randomUUID(),
    });
    return jsonResponse(outcome.status, outcome.body, {
      'request-id': id,
      ...(outcome.replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  } catch (err) {
    return errorResponse(err, id);
  }
}

/** The pay page polls this every ~2 s while the customer answers the prompt on the phone. */
export async function GET(request: Request, { params }: { params: Promise<{ sessionId: string }> }): Promise<Response> {
  const id = requestId();
  try {
    await enforceRateLimit('pay_page', requireClientIp(request.headers, env().TRUST_PROXY));
    const { sessionId } = await params;
    return jsonResponse(200, await mpesaStatusForSession(sessionId), { 'request-id': id, 'cache-control': 'no-store' });
  } catch (err) {
    return errorResponse(err, id);
  }
}
