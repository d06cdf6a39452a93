import { constants, publicEncrypt, randomUUID, X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { setMpesaFaults } from '@/sandbox/mpesa';
import { env } from '@/lib/env';
import { startFetchServer, type FetchServer } from './fetch-server';
import { startTestApp, type TestApp } from './test-app';

/**
 * A Daraja client for tests of the offline sandbox, written from Safaricom's documentation (not
 * from paykit's adapter): OAuth, JSON calls, SecurityCredential from the served certificate, and a
 * local "merchant" server that records every Result, timeout, confirmation and callback POSTed to it.
 */

export interface Received {
  path: string;
  raw: string;
  body: any;
  at: number;
}

export interface MerchantServer {
  url: string;
  received: Received[];
  /** Answers for POSTs to /validation (default: accept). */
  validation: (body: any) => { status?: number; body?: unknown; delayMs?: number };
  on(path: string): Received[];
  waitFor(path: string, count?: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startMerchantServer(): Promise<MerchantServer> {
  const received: Received[] = [];
  const merchant: MerchantServer = {
    url: '',
    received,
    validation: () => ({ body: { ResultCode: '0', ResultDesc: 'Accepted' } }),
    on: (path) => received.filter((r) => r.path === path),
    async waitFor(path, count = 1, timeoutMs = 8_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const hits = merchant.on(path);
        if (hits.length >= count) return hits;
        await sleep(20);
      }
      throw new Error(`${path}: expected ${count} POSTs, got ${merchant.on(path).length}`);
    },
    close: () => server.close(),
  };
  const server: FetchServer = await startFetchServer(async (req) => {
    const path = new URL(req.url).pathname;
    const raw = await req.text();
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      /* keep raw */
    }
    received.push({ path, raw, body, at: Date.now() });
    if (path === '/validation') {
      const answer = merchant.validation(body);
      if (answer.delayMs) await sleep(answer.delayMs);
      return Response.json(answer.body ?? {}, { status: answer.status ?? 200 });
    }
    return Response.json({ ResultCode: 0, ResultDesc: 'Success' });
  });
  merchant.url = server.url;
  return merchant;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Portal {
  shortcode: string;
  organizationName: string;
  initiatorName: string;
  initiatorPassword: string;
  balances: Record<string, string>;
}

export interface Daraja {
  app: TestApp;
  base: string;
  shortcode: string;
  token(): Promise<string>;
  post(path: string, body: unknown, token?: string | null): Promise<{ status: number; body: any }>;
  get(path: string, token?: string | null): Promise<Response>;
  portal(): Promise<Portal>;
  certificatePem(): Promise<string>;
  /** SecurityCredential for a password: base64(RSA PKCS#1 v1.5 with the sandbox certificate's key). */
  credential(password?: string): Promise<string>;
  phone(msisdn: string): Promise<{ prompt: unknown; messages: { body: string }[] }>;
  payBill(
    msisdn: string,
    /** Buy Goods (`till: true`): businessNumber is the till number and there is no account number. */
    body: { businessNumber: string; accountNumber?: string; amount: string | number; pin: string; till?: boolean },
  ): Promise<any>;
  close(): Promise<void>;
}

export async function startDaraja(): Promise<Daraja> {
  const app = await startTestApp();
  const base = `${app.url}/api/sandbox/mpesa`;
  const shortcode = env().DARAJA_SHORTCODE;
  let cachedToken: string | undefined;
  const daraja: Daraja = {
    app,
    base,
    shortcode,
    async token() {
      if (cachedToken) return cachedToken;
      const basic = Buffer.from(`${env().DARAJA_CONSUMER_KEY}:${env().DARAJA_CONSUMER_SECRET}`).toString('base64');
      const res = await fetch(`${base}/oauth/v1/generate?grant_type=client_credentials`, {
        headers: { authorization: `Basic ${basic}` },
      });
      const body = (await res.json()) as { access_token: string };
      cachedToken = body.access_token;
      return cachedToken;
    },
    async post(path, body, token) {
      const auth: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token ?? (await daraja.token())}` };
      const res = await fetch(`${base}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    },
    async get(path, token) {
      const auth: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token ?? (await daraja.token())}` };
      return fetch(`${base}/${path}`, { headers: auth });
    },
    async portal() {
      const res = await daraja.get(`portal/shortcodes/${shortcode}`);
      expect(res.status).toBe(200);
      return (await res.json()) as Portal;
    },
    async certificatePem() {
      const res = await fetch(`${base}/certificates/sandbox.cer`);
      expect(res.status).toBe(200);
      return res.text();
    },
    async credential(password) {
      const pem = await daraja.certificatePem();
      const secret = password ?? (await daraja.portal()).initiatorPassword;
      const key = new X509Certificate(pem).publicKey;
      return publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(secret)).toString('base64');
    },
    async phone(msisdn) {
      return (await (await fetch(`${base}/phone/${msisdn}`)).json()) as any;
    },
    async payBill(msisdn, body) {
      const res = await fetch(`${base}/phone/${msisdn}/paybill`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return res.json();
    },
    close: () => app.close(),
  };
  return daraja;
}

/** The org-API fields every test request shares: the real initiator and the merchant's URLs. */
export async function initiatorFields(daraja: Daraja, merchant: MerchantServer) {
  const portal = await daraja.portal();
  return {
    initiator: portal.initiatorName,
    SecurityCredential: await daraja.credential(portal.initiatorPassword),
    ResultURL: `${merchant.url}/result`,
    QueueTimeOutURL: `${merchant.url}/timeout`,
  };
}

export type InitiatorFields = Awaited<ReturnType<typeof initiatorFields>>;

export interface DarajaSandbox {
  daraja: Daraja;
  merchant: MerchantServer;
  /** The initiator fields, when asked for (`initiator: true`). */
  fields: InitiatorFields;
}

/**
 * One test file's sandbox: sets the sandbox variables (`env`), starts the app and the merchant's
 * server, optionally reads the initiator and funds the shortcode, hands them to `use`; clears any
 * fault after each test and undoes it all after the file.
 */
export function setUpDarajaSandbox(
  options: { env?: Record<string, string>; initiator?: boolean; fundShillings?: number },
  use: (sandbox: DarajaSandbox) => void,
): void {
  let started: Partial<DarajaSandbox> = {};
  beforeAll(async () => {
    Object.assign(process.env, options.env ?? {});
    const daraja = await startDaraja();
    const merchant = await startMerchantServer();
    started = { daraja, merchant };
    const fields = options.initiator ? await initiatorFields(daraja, merchant) : (undefined as unknown as InitiatorFields);
    if (options.fundShillings) await fund(daraja, options.fundShillings);
    use({ daraja, merchant, fields });
  });
  afterEach(() => setMpesaFaults(null));
  afterAll(async () => {
    for (const name of Object.keys(options.env ?? {})) delete process.env[name];
    await started.merchant?.close();
    await started.daraja?.close();
  });
}

export function b2cRequest(
  fields: Awaited<ReturnType<typeof initiatorFields>>,
  shortcode: string,
  overrides: Record<string, unknown> = {},
) {
  return {
    OriginatorConversationID: randomUUID(),
    InitiatorName: fields.initiator,
    SecurityCredential: fields.SecurityCredential,
    CommandID: 'BusinessPayment',
    Amount: 100,
    PartyA: shortcode,
    PartyB: '254708374149',
    Remarks: 'Refund',
    QueueTimeOutURL: fields.QueueTimeOutURL,
    ResultURL: fields.ResultURL,
    Occassion: 'order 42',
    ...overrides,
  };
}

/** The value of one ResultParameter of a Result body. */
export function param(result: any, key: string): unknown {
  const list = result?.Result?.ResultParameters?.ResultParameter as { Key: string; Value?: unknown }[] | undefined;
  return list?.find((p) => p.Key === key)?.Value;
}

let phoneSeq = 0;
/** A fresh Safaricom number per test (never one of the fixed-outcome test numbers). */
export function freshMsisdn(): string {
  return `2547${String(Date.now() % 1_000_000).padStart(6, '0')}${String(++phoneSeq % 100).padStart(2, '0')}`;
}

/** Funds the shortcode's Utility account through a Paybill payment on a phone; returns the receipt. */
export async function fund(daraja: Daraja, shillings: number, msisdn = freshMsisdn(), account = 'TOPUP'): Promise<string> {
  const answer = await daraja.payBill(msisdn, {
    businessNumber: daraja.shortcode,
    accountNumber: account,
    amount: shillings,
    pin: '1234',
  });
  expect(answer.ResultCode, JSON.stringify(answer)).toBe(0);
  return answer.TransID as string;
}

export const nairobiNow = (offsetMs = 0) =>
  new Date(Date.now() + offsetMs + 3 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

/** Waits for the Result (or queue timeout) of one acknowledged request, by its ConversationID. */
export async function resultFor(
  merchant: MerchantServer,
  conversationId: string,
  path = '/result',
  timeoutMs = 8_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hit = merchant.on(path).find((r) => r.body?.Result?.ConversationID === conversationId);
    if (hit) return hit.body.Result;
    await sleep(20);
  }
  throw new Error(`no ${path} POST for ${conversationId}`);
}
