import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { notFound } from 'next/navigation';
import { MpesaMethodSwitch } from '@/components/pay/mpesa-method-switch';
import { mpesaProblem } from '@/components/pay/mpesa-messages';
import { MpesaPanel } from '@/components/pay/mpesa-panel';
import { OrderSummary } from '@/components/pay/order-summary';
import { PayForm } from '@/components/pay/pay-form';
import { paymentProblem, safeHttpUrl } from '@/components/pay/payment-messages';
import { StripePayForm } from '@/components/pay/stripe-pay-form';
import { cardFormFromHeaders, cardFormPspForSession, payPageImageSrc, sandboxTokenizerBase } from '@/lib/checkout/pay';
import { loadPayPage, type PayPageView } from '@/lib/checkout/pay-page';
import { env } from '@/lib/env';
import { formatMoney } from '@/lib/money';
import { mpesaOffer, mpesaStatusForSession, type MpesaPayStatus } from '@/lib/checkout/mpesa';
import { paybillForSession, type PaybillInstructions } from '@/lib/checkout/paybill';
import { tillForSession, type TillInstructions } from '@/lib/checkout/till';
import type { CardPspName } from '@/lib/psp/routing';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Checkout', robots: { index: false, follow: false } };

/** Intent states in which a payment is already under way, so the form must not be offered again. */
const IN_FLIGHT = new Set(['processing', 'requires_capture', 'succeeded']);

export default async function PayPage({ params }: { params: Promise<{ sessionId: string }> }) {
  const { sessionId } = await params;
  const view = await loadPayPage(sessionId);
  if (!view) notFound();
  const amountLabel = formatMoney(view.amountTotal, view.currency);
  const cancelHref = safeHttpUrl(view.cancelUrl);
  // KES sessions in whole shillings that allow M-Pesa also offer it; its latest attempt decides what the panel shows.
  const mpesaAllowed = view.paymentMethodTypes.includes('mpesa');
  const offer = mpesaOffer(view.amountTotal, view.currency);
  const mpesa = mpesaAllowed && offer.offered && view.status === 'open' ? await mpesaStatusForSession(sessionId) : null;
  const mpesaUnavailable = mpesaAllowed && !offer.offered && view.currency === 'kes' ? offer.reason : null;
  const paybill = mpesa ? await paybillForSession(sessionId) : null;
  const till = mpesa ? await tillForSession(sessionId) : null;
  const promptSeconds = Math.round(env().DARAJA_STK_PROMPT_LIFETIME_MS / 1000);
  // Stripe's Payment Element when the merchant routes cards to Stripe first; the sandbox form
  // otherwise. proxy.ts already decided (its CSP depends on it): reuse that decision.
  const cardPsp =
    view.status !== 'open' ? 'sandbox_card' : (cardFormFromHeaders(await headers()) ?? (await cardFormPspForSession(sessionId)));

  return (
    <div className="pay-shell">
      <main id="main" className="pay-grid">
        <section className="pay-summary" aria-labelledby="pay-summary-heading">
          {view.status === 'open' && cancelHref && (
            <a href={cancelHref} className="back-link" data-testid="pay-cancel">
              <span aria-hidden="true">←</span> Return to {view.merchantName}
            </a>
          )}
          <p className="pay-merchant" data-testid="pay-merchant">
            <span className="merchant-avatar" aria-hidden="true">
              {view.merchantName.slice(0, 1).toUpperCase()}
            </span>
            {view.merchantName}
          </p>
          <h1 id="pay-summary-heading" className="pay-heading">
            <span className="muted pay-heading-label">Pay {view.merchantName}</span>
            <span className="pay-amount" data-testid="pay-amount">
              {amountLabel}
            </span>
          </h1>
          <OrderSummary
            lines={view.lineItems.map((item) => ({
              name: item.name,
              quantity: item.quantity,
              eachLabel: item.quantity > 1 ? `${formatMoney(item.unit_amount, view.currency)} each` : null,
              amountLabel: formatMoney(item.amount_total, view.currency),
              image: payPageImageSrc(item.images?.[0], env().APP_URL),
            }))}
            totalLabel={amountLabel}
            totalText={view.status === 'complete' ? 'Total paid' : 'Total'}
          />
        </section>

        <section className="pay-panel" aria-label="Payment">
          <PayPanel
            view={view}
            amountLabel={amountLabel}
            cancelHref={cancelHref}
            mpesa={mpesa}
            mpesaUnavailable={mpesaUnavailable}
            paybill={paybill}
            till={till}
            promptSeconds={promptSeconds}
            cardPsp={cardPsp}
          />
        </section>
      </main>
      <footer className="pay-footer">
        <span>
          Powered by <strong>paykit</strong>
        </span>
        <span aria-hidden="true">·</span>
        <span>Test mode</span>
      </footer>
    </div>
  );
}

function PayPanel({
  view,
  amountLabel,
  cancelHref,
  mpesa,
  mpesaUnavailable,
  paybill,
  till,
  promptSeconds,
  cardPsp,
}: {
  view: PayPageView;
  amountLabel: string;
  cancelHref: string | undefined;
  mpesa: MpesaPayStatus | null;
  /** Why a KES payment is not offered M-Pesa (cents), shown above the card form. */
  mpesaUnavailable: string | null;
  /** Pay with Paybill's business and account numbers (KES sessions M-Pesa can take). */
  paybill: PaybillInstructions | null;
  /** Pay with Till's till number (and the phone already expected), when the install has a till. */
  till: TillInstructions | null;
  /** The STK prompt's lifetime on the phone, for the M-Pesa panel's countdown. */
  promptSeconds: number;
  cardPsp: CardPspName;
}) {
  if (view.status === 'complete') {
    const successHref = safeHttpUrl(view.successUrl);
    return (
      <div className="pay-state" data-testid="pay-complete">
        <div className="success-mark" aria-hidden="true">
          ✓
        </div>
        <h2>Payment complete</h2>
        <p className="muted">
          {amountLabel} paid to {view.merchantName}
          {view.card ? ` with ${view.card.brandName} •••• ${view.card.last4}` : ''}.
        </p>
        {successHref && (
          <a href={successHref} className="button button-primary button-block" data-testid="pay-complete-link">
            Continue to {view.merchantName}
          </a>
        )}
      </div>
    );
  }

  if (view.status === 'expired') {
    const canceled = view.closedReason === 'canceled';
    return (
      <div className="pay-state" data-testid={canceled ? 'pay-canceled' : 'pay-expired'}>
        <h2>{canceled ? 'This payment was canceled' : 'This checkout has expired'}</h2>
        <p className="muted">
          {canceled
            ? `${view.merchantName} canceled this payment. Nothing was charged. Go back to ${view.merchantName} if you still want to order.`
            : `Nothing was charged. Go back to ${view.merchantName} to start again.`}
        </p>
        {cancelHref && (
          <a
            href={cancelHref}
            className="button button-primary button-block"
            data-testid={canceled ? 'pay-canceled-link' : 'pay-expired-link'}
          >
            Return to {view.merchantName}
          </a>
        )}
      </div>
    );
  }

  if (view.pendingAuthenticationUrl) {
    const continueHref = safeHttpUrl(view.pendingAuthenticationUrl);
    return (
      <div className="pay-state" data-testid="pay-verification-pending" role="status">
        <h2>Verification pending</h2>
        <p className="muted">
          Your bank is waiting for you to confirm this payment of {amountLabel}. Finish the verification in the window where you
          started it; this page shows the result once it is done. Please do not pay again.
        </p>
        {continueHref && (
          <a href={continueHref} className="button button-primary button-block" data-testid="pay-verification-continue">
            Continue verification
          </a>
        )}
      </div>
    );
  }

  if (mpesa?.status === 'waiting' && view.paymentStatus === 'processing') {
    return (
      <>
        <h2 className="pay-panel-heading">Pay with M-Pesa</h2>
        <MpesaPanel
          sessionId={view.sessionId}
          amountLabel={amountLabel}
          merchantName={view.merchantName}
          initialState="waiting"
          {...(mpesa.phone ? { initialPhone: mpesa.phone } : {})}
          initialProblem={null}
          promptSeconds={promptSeconds}
        />
      </>
    );
  }

  if (IN_FLIGHT.has(view.paymentStatus)) {
    return (
      <div className="pay-state" data-testid="pay-in-progress" role="status">
        <h2>Your payment is being processed</h2>
        <p className="muted">This usually takes a few seconds. Refresh this page to see the result; please do not pay again.</p>
        <a href="" className="button button-secondary button-block">
          Refresh
        </a>
      </div>
    );
  }

  const { APP_URL, SANDBOX_CARD_URL, SANDBOX_PUBLISHABLE_KEY, STRIPE_PUBLISHABLE_KEY } = env();
  const mpesaFailure = mpesa?.status === 'failed' && view.lastError ? mpesa.error : undefined;
  const initialCardProblem = view.lastError && !mpesaFailure ? paymentProblem(view.lastError.code, view.lastError.message) : null;
  const cardForm =
    cardPsp === 'stripe' && STRIPE_PUBLISHABLE_KEY ? (
      <StripePayForm
        sessionId={view.sessionId}
        amountLabel={amountLabel}
        amountMinor={view.amountTotal}
        currency={view.currency}
        initialEmail={view.customerEmail ?? ''}
        publishableKey={STRIPE_PUBLISHABLE_KEY}
        initialProblem={initialCardProblem}
        expiresAt={view.expiresAt}
      />
    ) : (
      <PayForm
        sessionId={view.sessionId}
        amountLabel={amountLabel}
        initialEmail={view.customerEmail ?? ''}
        cardUrl={sandboxTokenizerBase({ appUrl: APP_URL, sandboxCardUrl: SANDBOX_CARD_URL })}
        publishableKey={SANDBOX_PUBLISHABLE_KEY}
        cardAccount={view.cardAccount}
        initialProblem={initialCardProblem}
        expiresAt={view.expiresAt}
      />
    );
  if (mpesa) {
    return (
      <>
        <h2 className="pay-panel-heading">Pay with M-Pesa or card</h2>
        <MpesaMethodSwitch
          initialMethod={view.lastError && !mpesaFailure ? 'card' : 'mpesa'}
          card={cardForm}
          {...(paybill ? { paybill: { sessionId: view.sessionId, amountLabel, ...paybill } } : {})}
          {...(till ? { till: { sessionId: view.sessionId, amountLabel, ...till } } : {})}
          mpesa={
            <MpesaPanel
              sessionId={view.sessionId}
              amountLabel={amountLabel}
              merchantName={view.merchantName}
              initialState="idle"
              initialProblem={mpesaFailure ? mpesaProblem(mpesaFailure.code, mpesaFailure.message) : null}
              promptSeconds={promptSeconds}
            />
          }
        />
      </>
    );
  }
  return (
    <>
      <h2 className="pay-panel-heading">Pay with card</h2>
      {mpesaUnavailable && (
        <p className="muted" data-testid="mpesa-unavailable">
          {mpesaUnavailable}
        </p>
      )}
      {cardForm}
    </>
  );
}
