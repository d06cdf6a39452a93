import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { formatMoney } from '@/lib/money';
import { findChallenge, returnUrlAfterChallenge } from '@/sandbox/card';
import { ChallengeForm } from './challenge-form';

// The sandbox issuer's 3-D Secure page: the cardholder lands here from the merchant's pay page.
export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Verify it’s you · Sandbox Bank', robots: { index: false } };

const BRAND_NAMES: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express' };

const styles = `
.sbx3ds { min-height: 100vh; margin: 0; display: flex; align-items: flex-start; justify-content: center;
  background: #eef1f5; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1f36; padding: 24px 12px; box-sizing: border-box; }
.sbx3ds-card { width: 100%; max-width: 420px; background: #fff; border-radius: 12px; box-shadow: 0 4px 18px rgba(26,31,54,.12); overflow: hidden; }
.sbx3ds-bank { background: #0b3d91; color: #fff; padding: 14px 20px; font-weight: 600; letter-spacing: .02em; }
.sbx3ds-body { padding: 20px; }
.sbx3ds h1 { font-size: 1.35rem; margin: 0 0 8px; }
.sbx3ds p { line-height: 1.5; margin: 0 0 12px; }
.sbx3ds dl { display: grid; grid-template-columns: auto 1fr; gap: 6px 16px; margin: 16px 0; padding: 12px; background: #f6f8fa; border-radius: 8px; }
.sbx3ds dt { color: #4f566b; }
.sbx3ds dd { margin: 0; font-weight: 600; text-align: right; }
.sbx3ds-actions { display: flex; flex-direction: column; gap: 10px; margin-top: 16px; }
.sbx3ds button { font: inherit; font-size: 1rem; padding: 12px 16px; border-radius: 8px; cursor: pointer; min-height: 44px; }
.sbx3ds button:disabled { opacity: .6; cursor: progress; }
.sbx3ds button:focus-visible, .sbx3ds a:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.sbx3ds-primary { background: #0b3d91; color: #fff; border: 1px solid #0b3d91; }
.sbx3ds-secondary { background: #fff; color: #a41c1c; border: 1px solid #a41c1c; }
.sbx3ds-note { font-size: .85rem; color: #4f566b; margin-top: 16px; }
.sbx3ds-alert { color: #a41c1c; font-weight: 600; }
`;

export default async function ThreeDsChallengePage({ params }: { params: Promise<{ paymentId: string }> }) {
  const { paymentId } = await params;
  const challenge = await findChallenge(paymentId);
  if (!challenge) notFound();
  const redirectTo = challenge.returnUrl ? returnUrlAfterChallenge(challenge.returnUrl, challenge.paymentId) : null;
  const brand = BRAND_NAMES[challenge.brand] ?? challenge.brand;

  return (
    <div className="sbx3ds">
      <style>{styles}</style>
      <main id="main" className="sbx3ds-card" aria-labelledby="sbx3ds-title">
        <div className="sbx3ds-bank" aria-hidden="true">
          Sandbox Bank · Secure verification
        </div>
        <div className="sbx3ds-body">
          <h1 id="sbx3ds-title">Verify it’s you</h1>
          <p>Your bank needs to confirm this purchase before it can be approved.</p>
          <dl aria-label="Purchase details">
            <dt>Amount</dt>
            <dd data-testid="3ds-amount">{formatMoney(challenge.amount, challenge.currency)}</dd>
            <dt>Card</dt>
            <dd data-testid="3ds-card">
              {brand} ending in {challenge.last4}
            </dd>
          </dl>
          <ChallengeForm
            paymentId={challenge.paymentId}
            pending={challenge.status === 'requires_action'}
            redirectTo={redirectTo}
          />
          <p className="sbx3ds-note">
            This is a simulated 3-D Secure challenge from the offline sandbox card network. No real bank is involved.
          </p>
        </div>
      </main>
    </div>
  );
}
