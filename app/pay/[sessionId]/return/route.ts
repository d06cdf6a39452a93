import { returnFromAuthentication } from '@/lib/checkout/pay';
import { env } from '@/lib/env';

export const dynamic = 'force-dynamic';

/** The customer comes back here from 3-D Secure; we ask the PSP what happened, then redirect. */
export async function GET(request: Request, { params }: { params: Promise<{ sessionId: string }> }): Promise<Response> {
  const { sessionId } = await params;
  const attemptId = new URL(request.url).searchParams.get('payment_attempt');
  try {
    return Response.redirect(await returnFromAuthentication(sessionId, attemptId), 303);
  } catch (err) {
    console.error('[pay] return from authentication failed', err instanceof Error ? err.message : err);
    return Response.redirect(`${env().APP_URL}/pay/${encodeURIComponent(sessionId)}`, 303);
  }
}
