import { can } from '@/lib/auth/permissions';
import { AppError } from '@/lib/errors';
import { getMerchantPayout, payoutReport, payoutReportCsv } from '@/lib/payouts';
import { currentUser } from '../../../session';

export const dynamic = 'force-dynamic';

/**
 * GET /dashboard/payouts/po_.../export: the payout's reconciliation report as CSV. Any signed-in
 * member may download it; only for their own merchant's payouts (another's is a 404).
 */
export async function GET(_request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  const user = await currentUser();
  if (!user || !can(user, 'dashboard:read')) return text(401, 'Sign in to download payout reports.\n');
  const { id } = await context.params;
  try {
    const payout = await getMerchantPayout(user.merchantId, id);
    const csv = payoutReportCsv(payout, await payoutReport(payout));
    return new Response(csv, {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="payout-${payout.id}.csv"`,
        'cache-control': 'no-store',
      },
    });
  } catch (err) {
    if (err instanceof AppError && err.code === 'resource_missing') return text(404, 'No such payout.\n');
    throw err;
  }
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}
