import { z } from 'zod';
import { env, requireSecret } from '@/lib/env';
import { networkErrorCode, requestNeverLeft } from './network';
import { SUPPORTED_CURRENCIES } from '@/lib/money';
import {
  PspError,
  type PspCapabilities,
  type SettlementLine,
  type SettlementRange,
  type AuthorizeRequest,
  type CardDetails,
  type CardPspAdapter,
  type CardTokenInfo,
  type PspPayment,
  type PspRefund,
  type PspFeeSchedule,
  type SettlementFile,
} from './types';
import { readSettlementCsv } from './settlement-csv';

/**
 * The card adapter for the offline sandbox network. It talks to the sandbox over HTTP exactly as
 * it would to a real acquirer, and knows nothing of the sandbox's code or tables.
 */
export interface SandboxCardAdapterOptions {
  /** Origin of the sandbox network; the API lives under /api/sandbox/card/v1. */
  baseUrl?: string;
  acquirerKey?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const API_PATH = '/api/sandbox/card/v1';

const wireCard = z.object({
  brand: z.string(),
  last4: z.string(),
  exp_month: z.number(),
  exp_year: z.number(),
  fingerprint: z.string(),
});

const wireToken = z.object({
  id: z.string(),
  object: z.literal('token'),
  // Tokens are single use; an acquirer that does not say is still the one that refuses a reuse.
  used: z.boolean().default(false),
  card: wireCard,
  risk_level: z.enum(['normal', 'elevated', 'highest']),
});

/** A payment as the sandbox network sends it (API answers and callbacks alike). */
export const sandboxWirePayment = z.object({
  id: z.string(),
  object: z.literal('payment'),
  status: z.enum(['requires_action', 'authorized', 'captured', 'declined', 'canceled']),
  amount: z.number(),
  amount_captured: z.number(),
  currency: z.string(),
  card: wireCard.optional(),
  decline_code: z.string().optional(),
  decline_message: z.string().optional(),
  next_action: z.object({ type: z.literal('redirect_to_url'), redirect_url: z.string() }).optional(),
});

/** A refund as the sandbox network sends it. */
export const sandboxWireRefund = z.object({
  id: z.string(),
  object: z.literal('refund'),
  payment: z.string(),
  amount: z.number(),
  currency: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  failure_reason: z.string().optional(),
});

const wireSettlementLine = z.object({
  id: z.string(),
  object: z.literal('settlement_line'),
  type: z.enum(['charge', 'refund']),
  amount: z.number().int(),
  fee: z.number().int(),
  net: z.number().int(),
  currency: z.string(),
  payment: z.string(),
  /** Unix seconds. */
  available_on: z.number().int(),
});

const wireSettlementList = z.object({ object: z.literal('list'), data: z.array(wireSettlementLine) });

/** The network's contracted fee on a charge: 1.5%, no fixed part (its files should say the same). */
export const SANDBOX_CARD_FEE_SCHEDULE: PspFeeSchedule = { percentBps: 150, fixedMinor: 0 };

/** The offline network: every currency paykit knows, 3-D Secure challenges, immediate answers. */
export const SANDBOX_CARD_CAPABILITIES: PspCapabilities = {
  methods: ['card'],
  currencies: [...SUPPORTED_CURRENCIES],
  asynchronous: false,
  threeDSecure: true,
  refunds: true,
};

function toSettlementLine(line: z.infer<typeof wireSettlementLine>): SettlementLine {
  return {
    pspReference: line.id,
    type: line.type,
    amountMinor: line.amount,
    feeMinor: line.fee,
    netMinor: line.net,
    currency: line.currency,
    paymentReference: line.payment,
    availableOn: new Date(line.available_on * 1000),
  };
}

const wireError = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

function toCardDetails(card: z.infer<typeof wireCard>): CardDetails {
  return {
    brand: card.brand,
    last4: card.last4,
    fingerprint: card.fingerprint,
    expMonth: card.exp_month,
    expYear: card.exp_year,
  };
}

export function toPspPayment(payment: z.infer<typeof sandboxWirePayment>): PspPayment {
  return {
    pspReference: payment.id,
    status: payment.status,
    amount: payment.amount,
    amountCaptured: payment.amount_captured,
    currency: payment.currency,
    ...(payment.card ? { card: toCardDetails(payment.card) } : {}),
    ...(payment.decline_code ? { declineCode: payment.decline_code } : {}),
    ...(payment.decline_message ? { declineMessage: payment.decline_message } : {}),
    ...(payment.next_action ? { redirectUrl: payment.next_action.redirect_url } : {}),
  };
}

export function toPspRefund(refund: Omit<z.infer<typeof sandboxWireRefund>, 'object'>): PspRefund {
  return {
    pspReference: refund.id,
    paymentReference: refund.payment,
    status: refund.status,
    amount: refund.amount,
    currency: refund.currency,
    ...(refund.failure_reason ? { failureReason: refund.failure_reason } : {}),
  };
}

function toNetworkPspError(err: unknown, what: string): PspError {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new PspError('timeout', `sandbox card network: ${what} timed out`, true);
  }
  const code = networkErrorCode(err);
  const sent = !requestNeverLeft(code);
  return new PspError('unreachable', `sandbox card network: ${what} failed (${code ?? 'network error'})`, sent);
}

async function readJson(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new PspError(
      'bad_response',
      `sandbox card network: ${what} returned invalid JSON (HTTP ${response.status})`,
      true,
      response.status,
    );
  }
}

/** An error body is only for the message; a 4xx without JSON is still a rejection. */
async function readJsonIfAny(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await response.text());
  } catch {
    return undefined;
  }
}

function failureFromStatus(status: number, body: unknown, what: string): PspError {
  if (status >= 500)
    return new PspError('server_error', `sandbox card network: ${what} failed with HTTP ${status}`, true, status);
  const parsed = wireError.safeParse(body);
  const detail = parsed.success ? `${parsed.data.error.code ?? 'error'}: ${parsed.data.error.message ?? ''}` : `HTTP ${status}`;
  const reason = parsed.success && parsed.data.error.code === 'token_already_used' ? 'token_already_used' : undefined;
  return new PspError('rejected', `sandbox card network: ${what} rejected (${detail})`, true, status, reason);
}

export function createSandboxCardAdapter(options: SandboxCardAdapterOptions = {}): CardPspAdapter {
  const baseUrl = (options.baseUrl ?? env().SANDBOX_CARD_URL).replace(/\/$/, '');
  const acquirerKey = options.acquirerKey ?? requireSecret('SANDBOX_ACQUIRER_KEY');
  const timeoutMs = options.timeoutMs ?? env().PSP_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;

  async function call<T extends z.ZodType>(
    schema: T,
    what: string,
    path: string,
    init: { body?: unknown; idempotencyKey?: string; merchantId?: string } = {},
  ): Promise<z.infer<T>> {
    // identity: the answers are a few hundred bytes, and on the usual short hop (the network is
    // served by the app's own origin offline) gzip costs CPU at both ends and saves nothing; fetch
    // asks for gzip by default, and Next compresses whatever asks for it.
    const headers: Record<string, string> = {
      Authorization: `Bearer ${acquirerKey}`,
      Accept: 'application/json',
      'Accept-Encoding': 'identity',
    };
    if (init.idempotencyKey !== undefined) headers['Idempotency-Key'] = init.idempotencyKey;
    // The merchant is a sub-account of our acquirer account: tokens are bound to it.
    if (init.merchantId !== undefined) headers['Sandbox-Account'] = init.merchantId;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    let body: unknown;
    try {
      // One signal covers connecting, the response headers and the body.
      const signal = AbortSignal.timeout(timeoutMs);
      response = await doFetch(`${baseUrl}${API_PATH}${path}`, {
        method: init.body === undefined ? 'GET' : 'POST',
        headers,
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal,
      });
      if (response.status >= 500) throw failureFromStatus(response.status, undefined, what);
      if (!response.ok) throw failureFromStatus(response.status, await readJsonIfAny(response), what);
      body = await readJson(response, what);
    } catch (err) {
      if (err instanceof PspError) throw err;
      throw toNetworkPspError(err, what);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw new PspError('bad_response', `sandbox card network: ${what} returned an unexpected shape`, true, response.status);
    return parsed.data;
  }

  const paymentPath = (pspReference: string) => `/payments/${encodeURIComponent(pspReference)}`;

  /**
   * The day's settlement file. The timeout covers the answer's headers only: the body is streamed
   * and read as reconciliation stages it, however long a big file takes.
   */
  async function settlementFile(date: string): Promise<SettlementFile> {
    const what = 'settlement file';
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('headers timed out', 'TimeoutError')), timeoutMs);
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${API_PATH}/settlement_files/${encodeURIComponent(date)}`, {
        headers: { Authorization: `Bearer ${acquirerKey}`, Accept: 'text/csv' },
        signal: controller.signal,
      });
    } catch (err) {
      throw toNetworkPspError(err, what);
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw failureFromStatus(response.status, await readJsonIfAny(response), what);
    if (!response.body) throw new PspError('bad_response', `sandbox card network: ${what} has no body`, true, response.status);
    return {
      lines: readSettlementCsv(response.body, 'sandbox card network'),
      complete: response.headers.get('settlement-report-complete') !== 'false',
    };
  }

  return {
    name: 'sandbox_card',
    capabilities: SANDBOX_CARD_CAPABILITIES,
    feeSchedule: SANDBOX_CARD_FEE_SCHEDULE,
    settlementFile,

    async settlementReport(range: SettlementRange): Promise<SettlementLine[]> {
      const query = new URLSearchParams({ from: range.from.toISOString(), to: range.to.toISOString() });
      const list = await call(wireSettlementList, 'settlement report', `/settlements?${query.toString()}`);
      return list.data.map(toSettlementLine);
    },

    async retrieveCardToken(token: string, merchantId?: string): Promise<CardTokenInfo> {
      const wire = await call(wireToken, 'retrieve token', `/tokens/${encodeURIComponent(token)}`, { merchantId });
      return { token: wire.id, card: toCardDetails(wire.card), riskLevel: wire.risk_level, used: wire.used };
    },

    // Safe to retry: the same Idempotency-Key (and the same token) returns the card on file
    // already issued; the network lets one token become one card on file and never also a charge.
    async saveCard(token: string, merchantId: string, idempotencyKey: string): Promise<CardTokenInfo> {
      const path = `/tokens/${encodeURIComponent(token)}/card_on_file`;
      const wire = await call(wireToken, 'save card', path, { body: {}, idempotencyKey, merchantId });
      return { token: wire.id, card: toCardDetails(wire.card), riskLevel: wire.risk_level };
    },

    // Safe to retry: the same Idempotency-Key makes the sandbox return the first payment (and a
    // retry is not a second use of the single-use token).
    async authorize(request: AuthorizeRequest): Promise<PspPayment> {
      const body = {
        token: request.token,
        amount: request.amount,
        currency: request.currency,
        capture: request.capture,
        return_url: request.returnUrl,
        ...(request.offSession ? { off_session: true } : {}),
      };
      return toPspPayment(
        await call(sandboxWirePayment, 'authorize', '/payments', {
          body,
          idempotencyKey: request.idempotencyKey,
          merchantId: request.merchantId,
        }),
      );
    },

    async retrieve(pspReference: string): Promise<PspPayment> {
      return toPspPayment(await call(sandboxWirePayment, 'retrieve payment', paymentPath(pspReference)));
    },

    // Safe to retry: capturing an already captured payment with the same amount returns it.
    async capture(pspReference: string, amount: number, idempotencyKey: string): Promise<PspPayment> {
      const path = `${paymentPath(pspReference)}/capture`;
      return toPspPayment(await call(sandboxWirePayment, 'capture', path, { body: { amount }, idempotencyKey }));
    },

    // Safe to retry: canceling a canceled payment returns it unchanged.
    async cancel(pspReference: string, idempotencyKey: string): Promise<PspPayment> {
      const path = `${paymentPath(pspReference)}/cancel`;
      return toPspPayment(await call(sandboxWirePayment, 'cancel', path, { body: {}, idempotencyKey }));
    },

    // Safe to retry: the same Idempotency-Key makes the sandbox return the first refund.
    async refund(pspReference: string, amount: number, idempotencyKey: string): Promise<PspRefund> {
      const path = `${paymentPath(pspReference)}/refunds`;
      return toPspRefund(await call(sandboxWireRefund, 'refund', path, { body: { amount }, idempotencyKey }));
    },

    async retrieveRefund(refundReference: string): Promise<PspRefund> {
      return toPspRefund(await call(sandboxWireRefund, 'retrieve refund', `/refunds/${encodeURIComponent(refundReference)}`));
    },
  };
}
