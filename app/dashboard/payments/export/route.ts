import { getServerSession } from 'next-auth';
import { authOptions, type PaykitSession } from '@/lib/auth/next-auth';
import { can } from '@/lib/auth/permissions';
import { findSessionUser } from '@/lib/auth/users';
import { parsePaymentFilters, paymentsCsv } from '@/lib/dashboard/payments';

export const dynamic = 'force-dynamic';

/**
 * GET /dashboard/payments/export?<the list's filters>: the filtered payments as CSV, streamed a
 * page of rows at a time. Any signed-in member may export (viewers included); only their own
 * merchant's payments.
 */
export async function GET(request: Request): Promise<Response> {
  const session = (await getServerSession(authOptions)) as PaykitSession | null;
  const user = session?.uid && session.kind === 'merchant' ? await findSessionUser(session.uid) : null;
  if (!user || !can(user, 'dashboard:read')) {
    return new Response('Sign in to export payments.\n', {
      status: 401,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
  const filters = parsePaymentFilters(Object.fromEntries(new URL(request.url).searchParams));
  const rows = paymentsCsv(user.merchantId, filters);
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await rows.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (err) {
        console.error('[error] payments export failed:', err);
        controller.error(err);
      }
    },
    async cancel() {
      await rows.return(undefined);
    },
  });
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(stream, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="payments-${stamp}.csv"`,
      'cache-control': 'no-store',
    },
  });
}
