import { z } from 'zod';
import type { SandboxMpesaShortcode } from '@/db/schema';
import { getDb } from '@/db/client';
import { acceptAsyncRequest, DuplicateOriginatorId, type AsyncRequest } from './async-requests';
import { allBalances, transactionsBetween, statementCsv } from './books';
import { payBill } from './c2b';
import { sandboxKeys } from './certificate';
import { badRequest, DarajaHttpError, json, parse, readBody, requireToken } from './http-kit';
import { processAccountBalance, processB2c, processReversal, processTransactionStatus } from './org-apis';
import { pullTransactions } from './pull';
import { findShortcode, registerC2bUrls, registerPull, storeOfTill } from './shortcodes';
import { CORRECT_PIN } from './test-phones';
import { centsFromWire, parseSpacedStamp, wireAmount } from './wire';

/**
 * The HTTP side of Daraja's organisation APIs in the sandbox: Reversal, B2C v3, Transaction
 * Status, Account Balance, C2B register URL (v1, v2) and simulate, Pull Transactions register and
 * query; plus what Safaricom serves outside the API: the public-key certificate, the org portal's
 * initiator credentials and statement, and the simulated phone's "Pay bill" menu.
 */

const code = z.union([z.string(), z.number()]).transform(String);
const shortcodeField = code.pipe(z.string().regex(/^\d{5,7}$/));
const msisdnField = code.pipe(z.string().regex(/^254[17]\d{8}$/));
const callbackUrl = z.url({ protocol: /^https?$/ }).max(2048);
const text = (max: number) => z.string().min(1).max(max);
const wireMoney = z.union([z.string(), z.number()]);

const initiatorShape = { SecurityCredential: z.string().min(1).max(2048), ResultURL: callbackUrl, QueueTimeOutURL: callbackUrl };

const b2cBody = z.object({
  ...initiatorShape,
  OriginatorConversationID: text(64),
  InitiatorName: text(64),
  CommandID: z.enum(['SalaryPayment', 'BusinessPayment', 'PromotionPayment']),
  Amount: wireMoney,
  PartyA: shortcodeField,
  PartyB: msisdnField,
  Remarks: text(100),
  Occassion: z.string().max(100).optional(),
  Occasion: z.string().max(100).optional(),
});

const reversalBody = z.object({
  ...initiatorShape,
  Initiator: text(64),
  CommandID: z.literal('TransactionReversal'),
  TransactionID: z.string().regex(/^[A-Z0-9]{10}$/),
  Amount: wireMoney,
  ReceiverParty: shortcodeField,
  RecieverIdentifierType: code.pipe(z.enum(['11', '4'])),
  Remarks: text(100),
  Occasion: z.string().max(100).optional(),
});

const statusBody = z
  .object({
    ...initiatorShape,
    Initiator: text(64),
    CommandID: z.literal('TransactionStatusQuery'),
    TransactionID: z.string().max(64).optional(),
    OriginalConversationID: z.string().max(64).optional(),
    OriginatorConversationID: z.string().max(64).optional(),
    PartyA: shortcodeField,
    IdentifierType: code.pipe(z.enum(['1', '2', '4'])),
    Remarks: text(100),
    Occasion: z.string().max(100).optional(),
  })
  .refine((b) => Boolean(b.TransactionID || b.OriginalConversationID || b.OriginatorConversationID), { path: ['TransactionID'] });

const balanceBody = z.object({
  ...initiatorShape,
  Initiator: text(64),
  CommandID: z.literal('AccountBalance'),
  PartyA: shortcodeField,
  IdentifierType: code.pipe(z.enum(['2', '4'])),
  Remarks: text(100),
});

const registerBody = z.object({
  ShortCode: shortcodeField,
  ResponseType: z.enum(['Completed', 'Cancelled']),
  ConfirmationURL: callbackUrl,
  ValidationURL: callbackUrl,
});

const simulateBody = z.object({
  ShortCode: shortcodeField,
  CommandID: z.enum(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline']),
  Amount: wireMoney,
  Msisdn: msisdnField,
  BillRefNumber: z.string().max(20).nullish(),
});

const pullRegisterBody = z.object({
  ShortCode: shortcodeField,
  RequestType: z.literal('Pull'),
  NominatedNumber: code.pipe(z.string().regex(/^(254|0)[17]\d{8}$/)),
  CallBackURL: callbackUrl,
});

const pullQueryBody = z.object({
  ShortCode: shortcodeField,
  StartDate: z.string().max(19),
  EndDate: z.string().max(19),
  OffSetValue: code.pipe(z.string().regex(/^\d{1,7}$/)).transform(Number),
});

const phonePayBillBody = z.object({
  businessNumber: z.string().regex(/^\d{5,7}$/),
  /** Pay Bill only: Buy Goods has no account number. */
  accountNumber: z.string().max(20).default(''),
  amount: z.union([z.string(), z.number()]),
  pin: z.string().max(12),
  /** Buy Goods and Services: businessNumber is the till number. */
  till: z.boolean().optional(),
});

async function shortcodeOr400(value: string, field: string): Promise<SandboxMpesaShortcode> {
  const row = await findShortcode(value);
  if (!row) throw badRequest(field);
  return row;
}

/** Whole shillings on the wire (B2C and C2B take no cents), as cents. */
function wholeShillings(value: unknown): bigint {
  const cents = centsFromWire(value);
  if (cents === null || cents <= 0n || cents % 100n !== 0n) throw badRequest('Amount');
  return cents;
}

async function accept(request: AsyncRequest): Promise<Response> {
  try {
    return json(200, await acceptAsyncRequest(request));
  } catch (err) {
    if (err instanceof DuplicateOriginatorId) throw badRequest('OriginatorConversationID (already used for another request)');
    throw err;
  }
}

async function b2c(request: Request): Promise<Response> {
  requireToken(request);
  const body = parse(b2cBody, await readBody(request));
  const amountCents = wholeShillings(body.Amount);
  const shortcode = await shortcodeOr400(body.PartyA, 'PartyA');
  return accept({
    api: 'b2c',
    shortcode,
    originatorConversationId: body.OriginatorConversationID,
    canonical: [body.InitiatorName, body.CommandID, String(amountCents), body.PartyA, body.PartyB, body.ResultURL],
    initiator: body.InitiatorName,
    securityCredential: body.SecurityCredential,
    resultUrl: body.ResultURL,
    queueTimeoutUrl: body.QueueTimeOutURL,
    occasion: body.Occassion ?? body.Occasion,
    process: (tx, ids) =>
      processB2c(tx, { shortcode, commandId: body.CommandID, amountCents, msisdn: body.PartyB, remarks: body.Remarks }, ids),
  });
}

async function reversal(request: Request): Promise<Response> {
  requireToken(request);
  const body = parse(reversalBody, await readBody(request));
  const amountCents = centsFromWire(body.Amount);
  if (amountCents === null || amountCents <= 0n) throw badRequest('Amount');
  const shortcode = await shortcodeOr400(body.ReceiverParty, 'ReceiverParty');
  return accept({
    api: 'reversal',
    shortcode,
    canonical: body,
    initiator: body.Initiator,
    securityCredential: body.SecurityCredential,
    resultUrl: body.ResultURL,
    queueTimeoutUrl: body.QueueTimeOutURL,
    occasion: body.Occasion,
    process: (tx, ids) => processReversal(tx, { shortcode, transactionId: body.TransactionID, amountCents }, ids),
  });
}

async function transactionStatus(request: Request): Promise<Response> {
  requireToken(request);
  const body = parse(statusBody, await readBody(request));
  const shortcode = await shortcodeOr400(body.PartyA, 'PartyA');
  const originalConversationId = body.OriginalConversationID || body.OriginatorConversationID || undefined;
  return accept({
    api: 'transaction_status',
    shortcode,
    canonical: body,
    initiator: body.Initiator,
    securityCredential: body.SecurityCredential,
    resultUrl: body.ResultURL,
    queueTimeoutUrl: body.QueueTimeOutURL,
    occasion: body.Occasion,
    process: (tx) =>
      processTransactionStatus(tx, shortcode, { transactionId: body.TransactionID || undefined, originalConversationId }),
  });
}

async function accountBalance(request: Request): Promise<Response> {
  requireToken(request);
  const body = parse(balanceBody, await readBody(request));
  const shortcode = await shortcodeOr400(body.PartyA, 'PartyA');
  return accept({
    api: 'account_balance',
    shortcode,
    canonical: body,
    initiator: body.Initiator,
    securityCredential: body.SecurityCredential,
    resultUrl: body.ResultURL,
    queueTimeoutUrl: body.QueueTimeOutURL,
    process: (tx) => processAccountBalance(tx, shortcode),
  });
}

// Daraja's C2B answers spell it "OriginatorCoversationID"; kept as sent, so clients written against it work.
const c2bAck = (description: string) => ({
  OriginatorCoversationID: crypto.randomUUID(),
  ResponseCode: '0',
  ResponseDescription: description,
});

async function c2bRegister(request: Request, version: 'v1' | 'v2'): Promise<Response> {
  requireToken(request);
  const body = parse(registerBody, await readBody(request));
  await shortcodeOr400(body.ShortCode, 'ShortCode');
  await registerC2bUrls(body.ShortCode, {
    confirmationUrl: body.ConfirmationURL,
    validationUrl: body.ValidationURL,
    responseType: body.ResponseType,
    version,
  });
  return json(200, c2bAck('Success'));
}

async function c2bSimulate(request: Request): Promise<Response> {
  requireToken(request);
  const body = parse(simulateBody, await readBody(request));
  const amountCents = wholeShillings(body.Amount);
  // Buy Goods names the till (or its store); Pay Bill the paybill
  if (!(body.CommandID === 'CustomerBuyGoodsOnline' && storeOfTill(body.ShortCode)))
    await shortcodeOr400(body.ShortCode, 'ShortCode');
  if (body.CommandID === 'CustomerPayBillOnline' && !body.BillRefNumber) throw badRequest('BillRefNumber');
  // acknowledged first; validation, completion and confirmation follow, as for a payment from a phone
  void payBill({
    shortcode: body.ShortCode,
    commandId: body.CommandID,
    amountCents,
    msisdn: body.Msisdn,
    billRefNumber: body.BillRefNumber ?? '',
  }).catch((err: unknown) => console.warn('[sandbox-mpesa] simulated C2B failed:', err instanceof Error ? err.message : err));
  return json(200, c2bAck('Accept the service request successfully.'));
}

async function pullRegister(request: Request): Promise<Response> {
  requireToken(request);
  const body = parse(pullRegisterBody, await readBody(request));
  await shortcodeOr400(body.ShortCode, 'ShortCode');
  await registerPull(body.ShortCode, body.NominatedNumber, body.CallBackURL);
  return json(200, {
    ResponseRefID: crypto.randomUUID(),
    ResponseStatus: '1000',
    ShortCode: body.ShortCode,
    ResponseDescription: 'Shortcode Registered Successfully',
  });
}

async function pullQuery(request: Request): Promise<Response> {
  requireToken(request);
  const body = parse(pullQueryBody, await readBody(request));
  const shortcode = await shortcodeOr400(body.ShortCode, 'ShortCode');
  const start = parseSpacedStamp(body.StartDate);
  if (!start) throw badRequest('StartDate');
  const end = parseSpacedStamp(body.EndDate);
  if (!end) throw badRequest('EndDate');
  const result = await pullTransactions(shortcode, start, end, body.OffSetValue);
  if (!result.ok) {
    throw result.error === 'not_registered'
      ? new DarajaHttpError(400, '400.002.02', 'Bad Request - ShortCode is not registered for Pull Transactions')
      : new DarajaHttpError(400, '400.002.02', 'Bad Request - Invalid StartDate: the window is the last 48 hours');
  }
  return json(200, result.body);
}

async function certificate(): Promise<Response> {
  const { certificatePem } = await sandboxKeys();
  return new Response(certificatePem, {
    status: 200,
    headers: { 'Content-Type': 'application/x-x509-ca-cert', 'Content-Disposition': 'attachment; filename="sandbox.cer"' },
  });
}

/** The org portal's view of a shortcode: its API initiator (to configure the merchant's adapter with) and balances. */
async function portalShortcode(request: Request, value: string): Promise<Response> {
  requireToken(request);
  const shortcode = await shortcodeOr400(value, 'ShortCode');
  const balances = await allBalances(getDb(), shortcode.shortcode);
  return json(200, {
    object: 'sandbox_shortcode',
    shortcode: shortcode.shortcode,
    organizationName: shortcode.organizationName,
    initiatorName: shortcode.initiatorName,
    initiatorPassword: shortcode.initiatorPassword,
    certificatePath: 'certificates/sandbox.cer',
    balances: Object.fromEntries(Object.entries(balances).map(([k, v]) => [k, wireAmount(v)])),
    c2b: {
      confirmationUrl: shortcode.c2bConfirmationUrl,
      validationUrl: shortcode.c2bValidationUrl,
      responseType: shortcode.c2bResponseType,
      version: shortcode.c2bApiVersion,
    },
  });
}

async function portalStatement(request: Request, value: string): Promise<Response> {
  requireToken(request);
  const shortcode = await shortcodeOr400(value, 'ShortCode');
  const url = new URL(request.url);
  const from = url.searchParams.get('from') ? new Date(url.searchParams.get('from')!) : new Date(0);
  const to = url.searchParams.get('to') ? new Date(url.searchParams.get('to')!) : new Date();
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw badRequest('from/to');
  const csv = statementCsv(await transactionsBetween(shortcode.shortcode, from, to));
  return new Response(csv, {
    status: 200,
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="statement-${shortcode.shortcode}.csv"`,
      'Cache-Control': 'no-store',
    },
  });
}

/** The handset's "Lipa na M-PESA > Pay Bill" (or "Buy Goods and Services": a till number, no account) menu: the PIN unlocks the payment. */
async function phonePayBill(request: Request, msisdn: string): Promise<Response> {
  const body = parse(phonePayBillBody, await readBody(request));
  const amountCents = centsFromWire(body.amount);
  if (body.pin !== CORRECT_PIN)
    return json(200, { object: 'phone_answer', ResultCode: 2001, message: 'Wrong PIN. The payment was not made.' });
  if (amountCents === null)
    return json(200, { object: 'phone_answer', ResultCode: 'C2B00013', message: 'Enter a valid amount.' });
  if (!body.till && !body.accountNumber.trim())
    return json(200, { object: 'phone_answer', ResultCode: 'C2B00012', message: 'Enter the account number.' });
  const outcome = await payBill({
    shortcode: body.businessNumber,
    commandId: body.till ? 'CustomerBuyGoodsOnline' : 'CustomerPayBillOnline',
    amountCents,
    msisdn,
    billRefNumber: body.accountNumber.trim(),
  });
  return json(200, {
    object: 'phone_answer',
    ResultCode: outcome.status === 'completed' ? 0 : outcome.resultCode,
    TransID: outcome.transId,
    status: outcome.status,
    message: outcome.message,
  });
}

/** Routes one request of the organisation APIs; null when the path is not one of them. */
export async function dispatchOrgApi(path: string, method: string, request: Request): Promise<Response | null> {
  if (method === 'POST') {
    switch (path) {
      case 'mpesa/b2c/v3/paymentrequest':
        return b2c(request);
      case 'mpesa/reversal/v1/request':
        return reversal(request);
      case 'mpesa/transactionstatus/v1/query':
        return transactionStatus(request);
      case 'mpesa/accountbalance/v1/query':
        return accountBalance(request);
      case 'mpesa/c2b/v1/registerurl':
        return c2bRegister(request, 'v1');
      case 'mpesa/c2b/v2/registerurl':
        return c2bRegister(request, 'v2');
      case 'mpesa/c2b/v1/simulate':
        return c2bSimulate(request);
      case 'pulltransactions/v1/register':
        return pullRegister(request);
      case 'pulltransactions/v1/query':
        return pullQuery(request);
    }
    const pay = /^phone\/(254[17]\d{8})\/paybill$/.exec(path);
    if (pay) return phonePayBill(request, pay[1]!);
  }
  if (method === 'GET') {
    if (path === 'certificates/sandbox.cer') return certificate();
    const portal = /^portal\/shortcodes\/(\d{5,7})(\/statement\.csv)?$/.exec(path);
    if (portal) return portal[2] ? portalStatement(request, portal[1]!) : portalShortcode(request, portal[1]!);
  }
  return null;
}
