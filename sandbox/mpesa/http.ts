import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { checkBasicCredentials, checkStkPassword, issueAccessToken } from './auth';
import { badRequest, DarajaHttpError, json, parse, readBody, requireToken } from './http-kit';
import { dispatchOrgApi } from './org-http';
import { setMpesaFaults, takeSpikeArrest } from './faults';
import { storeOfTill } from './shortcodes';
import { listSms } from './sms';
import { answerPrompt, createStkRequest, findPendingPrompt, findStkRequest } from './stk';

/**
 * The offline Daraja's HTTP API as a plain fetch-style handler (the Next route delegates to it):
 * oauth/v1/generate, mpesa/stkpush/v1/processrequest and mpesa/stkpushquery/v1/query with
 * Daraja's answer and error shapes, the organisation APIs (org-http.ts), the simulated phone's
 * routes and the faults switch.
 */
export const API_PREFIX = '/api/sandbox/mpesa/';

const requestId = () => `${randomInt(1000, 99999)}-${randomInt(1_000_000, 99_999_999)}-1`;

const numeric = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
]);
const credentialsShape = {
  BusinessShortCode: z.union([z.string(), z.number()]).transform(String),
  Password: z.string().min(1),
  Timestamp: z.string().regex(/^\d{14}$/),
};

const pushBody = z.object({
  ...credentialsShape,
  TransactionType: z.enum(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline']),
  Amount: numeric,
  PartyA: z.union([z.string(), z.number()]).transform(String),
  PartyB: z.union([z.string(), z.number()]).transform(String),
  PhoneNumber: z.union([z.string(), z.number()]).transform(String),
  CallBackURL: z.url({ protocol: /^https?$/ }).max(2048),
  AccountReference: z.string().min(1).max(12),
  TransactionDesc: z.string().min(1).max(13),
});

const queryBody = z.object({ ...credentialsShape, CheckoutRequestID: z.string().min(1).max(100) });
const phoneAnswerBody = z.discriminatedUnion('action', [
  z.object({ action: z.literal('pin'), checkoutRequestId: z.string().min(1), pin: z.string().max(12) }),
  z.object({ action: z.literal('cancel'), checkoutRequestId: z.string().min(1) }),
]);
const faultsBody = z.object({
  drop: z.boolean().optional(),
  duplicate: z.boolean().optional(),
  delayMs: z.number().int().min(0).max(120_000).optional(),
  spikeArrest: z.boolean().optional(),
  spikeArrestNext: z.number().int().min(0).max(1000).optional(),
  outOfOrder: z.boolean().optional(),
  queueTimeout: z.boolean().optional(),
  queueTimeoutNext: z.number().int().min(0).max(1000).optional(),
  loseC2bConfirmation: z.boolean().optional(),
});

function requirePassword(body: { BusinessShortCode: string; Password: string; Timestamp: string }): void {
  if (!checkStkPassword(body.BusinessShortCode, body.Password, body.Timestamp)) throw badRequest('Password');
}

async function stkPush(request: Request): Promise<Response> {
  requireToken(request);
  if (takeSpikeArrest()) throw new DarajaHttpError(429, '500.003.02', 'Spike arrest violation');
  const body = parse(pushBody, await readBody(request));
  requirePassword(body);
  if (!Number.isInteger(body.Amount) || body.Amount < 1 || body.Amount > 250_000) throw badRequest('Amount');
  if (!/^254[17]\d{8}$/.test(body.PhoneNumber) || body.PartyA !== body.PhoneNumber) throw badRequest('PhoneNumber');
  // Daraja: Pay Bill pays the shortcode itself; Buy Goods pays a till (PartyB) of the store
  // named in BusinessShortCode (whose passkey made the Password). Any other PartyB is refused.
  if (
    body.TransactionType === 'CustomerPayBillOnline'
      ? body.PartyB !== body.BusinessShortCode
      : storeOfTill(body.PartyB) !== body.BusinessShortCode
  )
    throw badRequest('PartyB');
  const row = await createStkRequest({
    shortcode: body.BusinessShortCode,
    amount: body.Amount,
    phone: body.PhoneNumber,
    accountReference: body.AccountReference,
    transactionDesc: body.TransactionDesc,
    callbackUrl: body.CallBackURL,
    transactionType: body.TransactionType,
  });
  return json(200, {
    MerchantRequestID: row.merchantRequestId,
    CheckoutRequestID: row.id,
    ResponseCode: '0',
    ResponseDescription: 'Success. Request accepted for processing',
    CustomerMessage: 'Success. Request accepted for processing',
  });
}

async function stkQuery(request: Request): Promise<Response> {
  requireToken(request);
  const body = parse(queryBody, await readBody(request));
  requirePassword(body);
  const row = await findStkRequest(body.CheckoutRequestID);
  if (!row || row.shortcode !== body.BusinessShortCode) throw badRequest('CheckoutRequestID');
  if (row.status === 'pending') throw new DarajaHttpError(500, '500.001.1001', 'The transaction is being processed');
  return json(200, {
    ResponseCode: '0',
    ResponseDescription: 'The service request has been accepted successsfully',
    MerchantRequestID: row.merchantRequestId,
    CheckoutRequestID: row.id,
    ResultCode: String(row.resultCode),
    ResultDesc: row.resultDesc ?? '',
  });
}

async function dispatch(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (!url.pathname.startsWith(API_PREFIX)) throw new DarajaHttpError(404, '404.001.01', 'Resource not found');
  const path = url.pathname.slice(API_PREFIX.length).replace(/\/$/, '');
  const method = request.method;

  if (path === 'oauth/v1/generate' && method === 'GET') {
    if (url.searchParams.get('grant_type') !== 'client_credentials')
      throw new DarajaHttpError(400, '400.008.02', 'Invalid grant type passed');
    if (!checkBasicCredentials(request.headers.get('authorization')))
      throw new DarajaHttpError(400, '400.008.01', 'Invalid Authentication passed');
    return json(200, issueAccessToken());
  }
  if (path === 'mpesa/stkpush/v1/processrequest' && method === 'POST') return stkPush(request);
  if (path === 'mpesa/stkpushquery/v1/query' && method === 'POST') return stkQuery(request);

  const org = await dispatchOrgApi(path, method, request);
  if (org) return org;

  const phone = /^phone\/(254\d{9})(\/respond)?$/.exec(path);
  if (phone && method === 'GET' && !phone[2])
    return json(200, {
      object: 'phone',
      msisdn: phone[1],
      prompt: await findPendingPrompt(phone[1]!),
      messages: await listSms(phone[1]!),
    });
  if (phone && method === 'POST' && phone[2]) {
    // The simulated handset: no credentials, like a phone in the customer's hand.
    const answer = parse(phoneAnswerBody, await readBody(request));
    const result = await answerPrompt(
      phone[1]!,
      answer.checkoutRequestId,
      answer.action === 'pin' ? { action: 'pin', pin: answer.pin } : { action: 'cancel' },
    );
    if (!result) throw new DarajaHttpError(404, '404.001.01', 'No such request on this phone');
    return json(200, { object: 'phone_answer', ResultCode: result.resultCode, message: result.message });
  }
  if (path === 'faults' && method === 'POST') {
    requireToken(request);
    return json(200, { object: 'mpesa_faults', ...setMpesaFaults(parse(faultsBody, await readBody(request))) });
  }
  throw new DarajaHttpError(404, '404.001.01', 'Resource not found');
}

export async function handleSandboxMpesaRequest(request: Request): Promise<Response> {
  try {
    return await dispatch(request);
  } catch (err) {
    if (err instanceof DarajaHttpError)
      return json(err.status, { requestId: requestId(), errorCode: err.errorCode, errorMessage: err.message });
    console.error('[sandbox-mpesa] unhandled error:', err instanceof Error ? (err.stack ?? err.message) : err);
    return json(500, { requestId: requestId(), errorCode: '500.001.1000', errorMessage: 'Internal Server Error' });
  }
}
