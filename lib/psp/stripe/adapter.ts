import Stripe from 'stripe';
import { env } from '@/lib/env';
import {
  PspError,
  type AuthorizeRequest,
  type CardDetails,
  type CardPspAdapter,
  type CardTokenInfo,
  type PspPayment,
  type PspRefund,
  type SettlementLine,
  type SettlementRange,
  type PspFeeSchedule,
  type ReportLine,
  type SettlementFile,
} from '../types';
import { STRIPE_CAPABILITIES, STRIPE_PSP } from './constants';
import { networkErrorCode, requestNeverLeft } from '../network';

/**
 * The card adapter for Stripe, on the official SDK: PaymentIntents (created and confirmed in one
 * call, automatic or manual capture), captures, cancels and refunds. Every state-changing call
 * carries our idempotency key as Stripe's Idempotency-Key, so a retry is applied once by Stripe.
 * The SDK's own retries are off: lib/psp's resilience policy retries with the same key.
 */
export interface StripeAdapterOptions {
  secretKey?: string;
  /** Stripe's API origin (default https://api.stripe.com); tests point it at a local fake. */
  apiBase?: string;
  timeoutMs?: number;
}

type StripePaymentIntent = Awaited<ReturnType<Stripe['paymentIntents']['retrieve']>>;
type StripeRefund = Awaited<ReturnType<Stripe['refunds']['retrieve']>>;
type StripePaymentMethod = Awaited<ReturnType<Stripe['paymentMethods']['retrieve']>>;
type StripeBalanceTransaction = Stripe.BalanceTransaction;

/** The most lines one report may hold; a larger window must be asked for in parts. */
const MAX_SETTLEMENT_LINES = 10_000;

/** Stripe's balance transaction types we report; others (adjustments, transfers...) are not ours to match. */
const SETTLEMENT_TYPES: Readonly<Record<string, SettlementLine['type']>> = {
  charge: 'charge',
  payment: 'charge',
  refund: 'refund',
  payment_refund: 'refund',
  payout: 'payout',
  stripe_fee: 'fee',
};

/** The PaymentIntent behind a charge or refund source (expanded), which is our pspReference. */
function paymentIntentOf(source: StripeBalanceTransaction['source']): string | undefined {
  if (!source || typeof source === 'string') return undefined;
  const pi = (source as { payment_intent?: unknown }).payment_intent;
  if (typeof pi === 'string') return pi;
  if (pi && typeof pi === 'object' && typeof (pi as { id?: unknown }).id === 'string') return (pi as { id: string }).id;
  return undefined;
}

/** Stripe's standard card pricing (2.9% + 30): what reconciliation expects it to keep per charge. */
export const STRIPE_FEE_SCHEDULE: PspFeeSchedule = { percentBps: 290, fixedMinor: 30 };

/**
 * A balance transaction -> a line of the day's file for reconciliation: charges by their
 * PaymentIntent (our attempt's pspReference), refunds by the refund's id (our refund's
 * pspReference); payouts, Stripe's own fees and adjustments are not lines of ours to match.
 */
export function toReportLine(bt: StripeBalanceTransaction): ReportLine | undefined {
  const type = SETTLEMENT_TYPES[bt.type];
  if (type !== 'charge' && type !== 'refund') return undefined;
  const source = bt.source;
  const sourceId = typeof source === 'string' ? source : (source?.id ?? null);
  return {
    lineId: bt.id,
    type,
    pspReference: type === 'charge' ? (paymentIntentOf(source) ?? null) : sourceId,
    merchantReference: null,
    grossMinor: bt.amount,
    feeMinor: bt.fee,
    netMinor: bt.net,
    currency: bt.currency,
    bookedAt: new Date(bt.created * 1000),
    availableOn: new Date(bt.available_on * 1000),
    payoutBatchId: null,
  };
}

/** A balance transaction -> a settlement line, or undefined for a type we do not reconcile. */
export function toSettlementLine(bt: StripeBalanceTransaction): SettlementLine | undefined {
  const type = SETTLEMENT_TYPES[bt.type];
  if (!type) return undefined;
  const paymentReference = paymentIntentOf(bt.source);
  return {
    pspReference: bt.id,
    type,
    amountMinor: bt.amount,
    feeMinor: bt.fee,
    netMinor: bt.net,
    currency: bt.currency,
    ...(paymentReference ? { paymentReference } : {}),
    availableOn: new Date(bt.available_on * 1000),
  };
}

export function stripeClient(options: StripeAdapterOptions = {}): Stripe {
  const secretKey = options.secretKey ?? env().STRIPE_SECRET_KEY;
  if (!secretKey) throw new PspError('unreachable', 'stripe: STRIPE_SECRET_KEY is not set', false);
  const base = options.apiBase ?? env().STRIPE_API_BASE;
  const target = base ? new URL(base) : undefined;
  return new Stripe(secretKey, {
    maxNetworkRetries: 0,
    timeout: options.timeoutMs ?? env().PSP_TIMEOUT_MS,
    ...(target
      ? {
          host: target.hostname,
          port: target.port || (target.protocol === 'http:' ? 80 : 443),
          protocol: target.protocol === 'http:' ? ('http' as const) : ('https' as const),
        }
      : {}),
  });
}

/** Translates an SDK failure into a PspError; card declines are answers, handled by the caller. */
export function toPspError(err: unknown, what: string): PspError {
  if (err instanceof PspError) return err;
  if (!(err instanceof Stripe.errors.StripeError)) {
    return new PspError('bad_response', `stripe: ${what} failed (${err instanceof Error ? err.message : String(err)})`, true);
  }
  if (err instanceof Stripe.errors.StripeConnectionError) {
    const code = networkErrorCode(err);
    if (code === 'ETIMEDOUT') return new PspError('timeout', `stripe: ${what} timed out`, true);
    const sent = !requestNeverLeft(code);
    return new PspError('unreachable', `stripe: ${what} failed (${code ?? 'connection error'})`, sent);
  }
  const status = err.statusCode;
  if (err instanceof Stripe.errors.StripeRateLimitError) return new PspError('server_error', `stripe: ${what} rate limited`, true, status);
  if (status === undefined || status >= 500) return new PspError('server_error', `stripe: ${what} failed with HTTP ${status ?? '?'}`, true, status);
  return new PspError('rejected', `stripe: ${what} rejected (${err.code ?? err.type}: ${err.message})`, true, status);
}

function toCardDetails(pm: Pick<StripePaymentMethod, 'id' | 'card'> | null | undefined): CardDetails | undefined {
  const card = pm?.card;
  if (!card) return undefined;
  return {
    brand: card.brand,
    last4: card.last4,
    fingerprint: card.fingerprint ?? `stripe_${pm.id}`,
    expMonth: card.exp_month,
    expYear: card.exp_year,
  };
}

/** Stripe's PaymentIntent status -> ours. "processing" has no answer yet: resolved by a later query. */
export function toPspPayment(pi: StripePaymentIntent): PspPayment {
  const card = typeof pi.payment_method === 'object' ? toCardDetails(pi.payment_method) : undefined;
  const base = {
    pspReference: pi.id,
    amount: pi.amount,
    amountCaptured: pi.amount_received,
    currency: pi.currency,
    ...(card ? { card } : {}),
  };
  switch (pi.status) {
    case 'succeeded':
      return { ...base, status: 'captured' };
    case 'requires_capture':
      return { ...base, status: 'authorized', amount: pi.amount_capturable || pi.amount };
    case 'requires_action': {
      const redirectUrl = pi.next_action?.redirect_to_url?.url ?? undefined;
      return { ...base, status: 'requires_action', ...(redirectUrl ? { redirectUrl } : {}) };
    }
    case 'canceled':
      return { ...base, status: 'canceled' };
    case 'requires_payment_method': {
      // A confirmed intent back in requires_payment_method failed: a decline or a failed 3-D Secure.
      const lpe = pi.last_payment_error;
      const declineCode = lpe?.code === 'payment_intent_authentication_failure' ? 'authentication_failed' : (lpe?.decline_code ?? lpe?.code ?? 'generic_decline');
      return { ...base, status: 'declined', declineCode, ...(lpe?.message ? { declineMessage: lpe.message } : {}) };
    }
    default:
      throw new PspError('timeout', `stripe: payment ${pi.id} is ${pi.status}; its outcome is not known yet`, true);
  }
}

export function toPspRefund(refund: StripeRefund): PspRefund {
  const status = refund.status === 'succeeded' ? 'succeeded' : refund.status === 'failed' || refund.status === 'canceled' ? 'failed' : 'pending';
  const paymentReference = typeof refund.payment_intent === 'string' ? refund.payment_intent : (refund.payment_intent?.id ?? '');
  return {
    pspReference: refund.id,
    paymentReference,
    status,
    amount: refund.amount,
    currency: refund.currency,
    ...(refund.failure_reason ? { failureReason: refund.failure_reason } : {}),
  };
}

/** A card decline is a definite answer, not an error: the intent id and decline code come with it. */
function declinedPayment(err: InstanceType<typeof Stripe.errors.StripeCardError>, request: AuthorizeRequest): PspPayment {
  const pi = err.payment_intent;
  return {
    pspReference: pi?.id ?? '',
    status: 'declined',
    amount: pi?.amount ?? request.amount,
    amountCaptured: 0,
    currency: pi?.currency ?? request.currency,
    declineCode: err.decline_code ?? err.code ?? 'generic_decline',
    declineMessage: err.message,
  };
}

export function createStripeAdapter(options: StripeAdapterOptions = {}): CardPspAdapter {
  let client: Stripe | undefined;
  const stripe = () => (client ??= stripeClient(options));
  const call = async <T>(what: string, fn: (s: Stripe) => Promise<T>): Promise<T> => {
    try {
      return await fn(stripe());
    } catch (err) {
      throw toPspError(err, what);
    }
  };

  return {
    name: STRIPE_PSP,
    capabilities: STRIPE_CAPABILITIES,

    feeSchedule: STRIPE_FEE_SCHEDULE,

    // The day's balance transactions, a page at a time as reconciliation stages them (the SDK's
    // auto-pagination), so a busy day is never held whole. Final once the UTC day is over.
    async settlementFile(date: string): Promise<SettlementFile> {
      const start = Date.parse(`${date}T00:00:00Z`);
      const created = { gte: Math.floor(start / 1000), lt: Math.floor(start / 1000) + 86_400 };
      const list = stripe().balanceTransactions.list({ created, limit: 100, expand: ['data.source'] });
      async function* lines(): AsyncGenerator<ReportLine> {
        try {
          for await (const bt of list) {
            const line = toReportLine(bt);
            if (line) yield line;
          }
        } catch (err) {
          throw toPspError(err, 'settlement file');
        }
      }
      return { lines: lines(), complete: start + 86_400_000 <= Date.now() };
    },

    // A read: safe to retry. The window [from, to) goes to Stripe in whole seconds (its `created`).
    async settlementReport(range: SettlementRange): Promise<SettlementLine[]> {
      const created = { gte: Math.floor(range.from.getTime() / 1000), lt: Math.floor(range.to.getTime() / 1000) };
      const all = await call('settlement report', (s) =>
        s.balanceTransactions.list({ created, limit: 100, expand: ['data.source'] }).autoPagingToArray({ limit: MAX_SETTLEMENT_LINES }),
      );
      if (all.length >= MAX_SETTLEMENT_LINES) {
        throw new PspError('bad_response', `stripe: settlement report holds more than ${MAX_SETTLEMENT_LINES} lines; ask for a shorter window`, true);
      }
      return all.flatMap((bt) => toSettlementLine(bt) ?? []).reverse();
    },

    async retrieveCardToken(token: string): Promise<CardTokenInfo> {
      const pm = await call('retrieve payment method', (s) => s.paymentMethods.retrieve(token));
      const card = toCardDetails(pm);
      if (!card) throw new PspError('rejected', `stripe: payment method ${token} is not a card`, true, 400);
      // Stripe Radar judges the charge itself; the payment method carries no risk level.
      return { token: pm.id, card, riskLevel: 'normal' };
    },

    // Safe to retry: Stripe answers a repeated Idempotency-Key with the first response.
    async authorize(request: AuthorizeRequest): Promise<PspPayment> {
      try {
        const pi = await stripe().paymentIntents.create(
          {
            amount: request.amount,
            currency: request.currency.toLowerCase(),
            payment_method: request.token,
            confirm: true,
            capture_method: request.capture ? 'automatic' : 'manual',
            // Without a return URL there is nowhere to send a customer: only methods without redirects.
            ...(request.returnUrl ? { return_url: request.returnUrl } : { automatic_payment_methods: { enabled: true, allow_redirects: 'never' as const } }),
            metadata: { paykit_idempotency_key: request.idempotencyKey },
            expand: ['payment_method'],
          },
          { idempotencyKey: request.idempotencyKey },
        );
        return toPspPayment(pi);
      } catch (err) {
        if (err instanceof Stripe.errors.StripeCardError) return declinedPayment(err, request);
        throw toPspError(err, 'authorize');
      }
    },

    async retrieve(pspReference: string): Promise<PspPayment> {
      return toPspPayment(await call('retrieve payment', (s) => s.paymentIntents.retrieve(pspReference, { expand: ['payment_method'] })));
    },

    // Safe to retry: the same Idempotency-Key makes Stripe return the first capture.
    async capture(pspReference: string, amount: number, idempotencyKey: string): Promise<PspPayment> {
      return toPspPayment(await call('capture', (s) => s.paymentIntents.capture(pspReference, { amount_to_capture: amount }, { idempotencyKey })));
    },

    // Safe to retry: keyed; and an intent Stripe already canceled is returned as it is.
    async cancel(pspReference: string, idempotencyKey: string): Promise<PspPayment> {
      try {
        return toPspPayment(await stripe().paymentIntents.cancel(pspReference, {}, { idempotencyKey }));
      } catch (err) {
        const mapped = toPspError(err, 'cancel');
        if (mapped.kind !== 'rejected') throw mapped;
        const current = await this.retrieve(pspReference);
        if (current.status === 'canceled') return current;
        throw mapped;
      }
    },

    // Safe to retry: the same Idempotency-Key makes Stripe return the first refund.
    async refund(pspReference: string, amount: number, idempotencyKey: string): Promise<PspRefund> {
      return toPspRefund(await call('refund', (s) => s.refunds.create({ payment_intent: pspReference, amount, metadata: { paykit_idempotency_key: idempotencyKey } }, { idempotencyKey })));
    },

    async retrieveRefund(refundReference: string): Promise<PspRefund> {
      return toPspRefund(await call('retrieve refund', (s) => s.refunds.retrieve(refundReference)));
    },
  };
}
