import { z } from 'zod';
import { PspError, type PspCapabilities, type SettlementLine, type SettlementRange } from '@/lib/psp/types';
import { darajaPassword, darajaTimestamp } from './format';
import { networkErrorCode, requestNeverLeft } from '@/lib/psp/network';
import { SPIKE_ARREST_ERROR_CODE, STILL_PROCESSING_ERROR_CODE } from './result-codes';
import { createOrgApis, type DarajaOrgApis } from './org-client';

/**
 * A Daraja (Safaricom M-Pesa API) client for M-Pesa Express: OAuth client-credentials token,
 * STK push and STK query. It speaks Daraja's wire format to whatever base URL it is given (the
 * offline sandbox, https://sandbox.safaricom.co.ke or https://api.safaricom.co.ke) and knows
 * nothing of our tables.
 */
export interface DarajaConfig {
  baseUrl: string;
  consumerKey: string;
  consumerSecret: string;
  shortcode: string;
  passkey: string;
  timeoutMs: number;
  /**
   * Where an STK push pays: CustomerPayBillOnline to the shortcode (a paybill), or
   * CustomerBuyGoodsOnline to `tillNumber`, a till of the shortcode (its store; the passkey is the
   * store's). Default: the paybill.
   */
  stkTo?: { transactionType: 'CustomerPayBillOnline' } | { transactionType: 'CustomerBuyGoodsOnline'; tillNumber: string };
  fetch?: typeof fetch;
  now?: () => Date;
}

export interface StkPushRequest {
  /** Whole shillings. */
  amount: number;
  /** Normalized MSISDN (2547XXXXXXXX). */
  phone: string;
  callbackUrl: string;
  accountReference: string;
  description: string;
}

export interface StkPushAccepted {
  merchantRequestId: string;
  checkoutRequestId: string;
  customerMessage: string;
}

export type StkQueryAnswer =
  | { state: 'processing' }
  | { state: 'completed'; resultCode: number; resultDesc: string; merchantRequestId: string; checkoutRequestId: string };

/**
 * Daraja refused or failed a call. `definite` means Daraja did not act on it (a 4xx, spike
 * arrest): nothing reached the customer's phone. Otherwise the outcome is unknown.
 */
export class DarajaError extends PspError {
  constructor(
    kind: PspError['kind'],
    message: string,
    requestSent: boolean,
    httpStatus: number | undefined,
    readonly errorCode: string | undefined,
    readonly definite: boolean,
  ) {
    super(kind, message, requestSent, httpStatus);
    this.name = 'DarajaError';
  }

  get isSpikeArrest(): boolean {
    return this.httpStatus === 429 || this.errorCode === SPIKE_ARREST_ERROR_CODE;
  }
}

/**
 * M-Pesa: Kenyan shillings only, asynchronous (the customer answers a prompt on the phone; the
 * outcome comes by callback or STK query), no 3-D Secure; refunds by Reversal (the whole receipt)
 * or B2C (part of it), both asynchronous.
 */
export const DARAJA_CAPABILITIES: PspCapabilities = {
  methods: ['mpesa'],
  currencies: ['kes'],
  asynchronous: true,
  threeDSecure: false,
  refunds: true,
};

export interface DarajaClient {
  readonly capabilities: PspCapabilities;
  /**
   * Always empty: Daraja has no settlement API. M-Pesa settlement comes from the organisation's
   * statement in the M-Pesa org portal (downloaded there, or pushed by Safaricom), not from an
   * API call; reconciliation of M-Pesa payments must import that statement instead.
   */
  settlementReport(range: SettlementRange): Promise<SettlementLine[]>;
  stkPush(request: StkPushRequest): Promise<StkPushAccepted>;
  stkQuery(checkoutRequestId: string): Promise<StkQueryAnswer>;
  /** Reversal, B2C, Transaction Status, C2B registration and Pull Transactions (org-client.ts). */
  readonly org: DarajaOrgApis;
  /** The cached OAuth token (for the sandbox portal read of credential.ts). */
  accessToken(): Promise<string>;
  /** For tests and diagnostics: how many tokens were fetched so far. */
  readonly tokensFetched: number;
}

const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.union([z.string(), z.number()]) });
const errorAnswer = z.object({ requestId: z.string().optional(), errorCode: z.string(), errorMessage: z.string().optional() });
const pushAnswer = z.object({
  MerchantRequestID: z.string(),
  CheckoutRequestID: z.string(),
  ResponseCode: z.union([z.string(), z.number()]),
  ResponseDescription: z.string().optional(),
  CustomerMessage: z.string().optional(),
});
const queryAnswer = z.object({
  ResponseCode: z.union([z.string(), z.number()]),
  MerchantRequestID: z.string(),
  CheckoutRequestID: z.string(),
  ResultCode: z.union([z.string(), z.number()]),
  ResultDesc: z.string().default(''),
});

function networkError(err: unknown, what: string): DarajaError {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new DarajaError('timeout', `Daraja: ${what} timed out`, true, undefined, undefined, false);
  }
  const code = networkErrorCode(err);
  const notSent = requestNeverLeft(code);
  return new DarajaError(
    'unreachable',
    `Daraja: ${what} failed (${code ?? 'network error'})`,
    !notSent,
    undefined,
    undefined,
    notSent,
  );
}

/** The refresh margin: a token is replaced this long before Daraja would expire it. */
export function tokenRefreshMarginMs(ttlMs: number): number {
  return Math.min(60_000, Math.floor(ttlMs / 10));
}

export function createDarajaClient(config: DarajaConfig): DarajaClient {
  const baseUrl = config.baseUrl.replace(/\/$/, '');
  const doFetch = config.fetch ?? fetch;
  const now = config.now ?? (() => new Date());
  const stkTo = config.stkTo ?? { transactionType: 'CustomerPayBillOnline' as const };
  let cached: { token: string; refreshAtMs: number } | undefined;
  let inFlight: Promise<string> | undefined;
  let tokensFetched = 0;

  async function send(what: string, path: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
    let response: Response;
    let text: string;
    try {
      response = await doFetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(config.timeoutMs) });
      text = await response.text();
    } catch (err) {
      throw networkError(err, what);
    }
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new DarajaError(
        'bad_response',
        `Daraja: ${what} returned invalid JSON (HTTP ${response.status})`,
        true,
        response.status,
        undefined,
        false,
      );
    }
    return { status: response.status, body };
  }

  function failure(what: string, status: number, body: unknown): DarajaError {
    const parsed = errorAnswer.safeParse(body);
    const errorCode = parsed.success ? parsed.data.errorCode : undefined;
    const detail = parsed.success ? `${parsed.data.errorCode}: ${parsed.data.errorMessage ?? ''}` : `HTTP ${status}`;
    if (status === 429 || errorCode === SPIKE_ARREST_ERROR_CODE) {
      return new DarajaError('rejected', `Daraja: ${what} refused by spike arrest (${detail})`, false, status, errorCode, true);
    }
    if (status >= 500 && errorCode !== STILL_PROCESSING_ERROR_CODE) {
      return new DarajaError(
        'server_error',
        `Daraja: ${what} failed with HTTP ${status} (${detail})`,
        true,
        status,
        errorCode,
        false,
      );
    }
    return new DarajaError('rejected', `Daraja: ${what} rejected (${detail})`, true, status, errorCode, true);
  }

  async function fetchToken(): Promise<string> {
    const basic = Buffer.from(`${config.consumerKey}:${config.consumerSecret}`, 'utf8').toString('base64');
    const { status, body } = await send('OAuth token', '/oauth/v1/generate?grant_type=client_credentials', {
      method: 'GET',
      headers: { Authorization: `Basic ${basic}`, Accept: 'application/json' },
    });
    if (status !== 200) throw failure('OAuth token', status, body);
    const parsed = tokenAnswer.safeParse(body);
    if (!parsed.success)
      throw new DarajaError('bad_response', 'Daraja: OAuth token answer has an unexpected shape', true, status, undefined, false);
    const ttlMs = Math.max(1, Number(parsed.data.expires_in)) * 1000;
    tokensFetched++;
    cached = { token: parsed.data.access_token, refreshAtMs: now().getTime() + ttlMs - tokenRefreshMarginMs(ttlMs) };
    return parsed.data.access_token;
  }

  /** A cached token until shortly before it expires; concurrent callers share one refresh. */
  async function accessToken(): Promise<string> {
    if (cached && now().getTime() < cached.refreshAtMs) return cached.token;
    inFlight ??= fetchToken().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  async function authorizedPost(what: string, path: string, payload: unknown): Promise<{ status: number; body: unknown }> {
    for (let tryNo = 0; ; tryNo++) {
      const token = await accessToken();
      const result = await send(what, path, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(payload),
      });
      // Daraja revoked or expired the token early: fetch a new one and send once more.
      if (result.status === 401 && tryNo === 0) {
        cached = undefined;
        continue;
      }
      return result;
    }
  }

  function credentials() {
    const timestamp = darajaTimestamp(now());
    return {
      BusinessShortCode: config.shortcode,
      Password: darajaPassword(config.shortcode, config.passkey, timestamp),
      Timestamp: timestamp,
    };
  }

  async function orgPost(what: string, path: string, payload: unknown): Promise<unknown> {
    const { status, body } = await authorizedPost(what, path, payload);
    if (status !== 200) throw failure(what, status, body);
    return body;
  }
  const unexpected = (what: string) =>
    new DarajaError('bad_response', `Daraja: ${what} answer has an unexpected shape`, true, 200, undefined, false);

  return {
    get tokensFetched() {
      return tokensFetched;
    },
    capabilities: DARAJA_CAPABILITIES,
    settlementReport: () => Promise.resolve([]),
    org: createOrgApis(orgPost, config.shortcode, unexpected),
    accessToken,

    // NOT idempotent at Daraja (there is no idempotency key): callers retry only refusals that
    // Daraja never acted on (spike arrest, not connected), never a timeout after sending.
    async stkPush(request: StkPushRequest): Promise<StkPushAccepted> {
      const { status, body } = await authorizedPost('STK push', '/mpesa/stkpush/v1/processrequest', {
        ...credentials(),
        TransactionType: stkTo.transactionType,
        Amount: request.amount,
        PartyA: request.phone,
        PartyB: stkTo.transactionType === 'CustomerBuyGoodsOnline' ? stkTo.tillNumber : config.shortcode,
        PhoneNumber: request.phone,
        CallBackURL: request.callbackUrl,
        AccountReference: request.accountReference,
        TransactionDesc: request.description,
      });
      if (status !== 200) throw failure('STK push', status, body);
      const parsed = pushAnswer.safeParse(body);
      if (!parsed.success)
        throw new DarajaError('bad_response', 'Daraja: STK push answer has an unexpected shape', true, status, undefined, false);
      if (String(parsed.data.ResponseCode) !== '0') {
        throw new DarajaError(
          'rejected',
          `Daraja: STK push not accepted (${parsed.data.ResponseDescription ?? parsed.data.ResponseCode})`,
          true,
          status,
          String(parsed.data.ResponseCode),
          true,
        );
      }
      return {
        merchantRequestId: parsed.data.MerchantRequestID,
        checkoutRequestId: parsed.data.CheckoutRequestID,
        customerMessage: parsed.data.CustomerMessage ?? '',
      };
    },

    // A read: safe to repeat.
    async stkQuery(checkoutRequestId: string): Promise<StkQueryAnswer> {
      const { status, body } = await authorizedPost('STK query', '/mpesa/stkpushquery/v1/query', {
        ...credentials(),
        CheckoutRequestID: checkoutRequestId,
      });
      if (status !== 200) {
        const err = errorAnswer.safeParse(body);
        if (err.success && err.data.errorCode === STILL_PROCESSING_ERROR_CODE) return { state: 'processing' };
        throw failure('STK query', status, body);
      }
      const parsed = queryAnswer.safeParse(body);
      if (!parsed.success)
        throw new DarajaError('bad_response', 'Daraja: STK query answer has an unexpected shape', true, status, undefined, false);
      const resultCode = Number(parsed.data.ResultCode);
      if (!Number.isInteger(resultCode))
        throw new DarajaError('bad_response', 'Daraja: STK query ResultCode is not a number', true, status, undefined, false);
      return {
        state: 'completed',
        resultCode,
        resultDesc: parsed.data.ResultDesc,
        merchantRequestId: parsed.data.MerchantRequestID,
        checkoutRequestId: parsed.data.CheckoutRequestID,
      };
    },
  };
}
