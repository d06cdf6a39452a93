import { randomUUID } from 'node:crypto';
import { resetEnvCache } from '@/lib/env';
import { createMerchant, type CreatedMerchant } from '@/lib/merchants';
import { resetCardPsp } from '@/lib/psp';
import { handleSandboxCardRequest } from '@/lib/sandbox/card';
import * as checkoutSessionRoute from '@/app/api/v1/checkout/sessions/[id]/route';
import * as checkoutSessionsRoute from '@/app/api/v1/checkout/sessions/route';
import * as notFoundRoute from '@/app/api/v1/[...path]/route';
import * as cancelRoute from '@/app/api/v1/payment_intents/[id]/cancel/route';
import * as captureRoute from '@/app/api/v1/payment_intents/[id]/capture/route';
import * as confirmRoute from '@/app/api/v1/payment_intents/[id]/confirm/route';
import * as paymentIntentRoute from '@/app/api/v1/payment_intents/[id]/route';
import * as paymentIntentsRoute from '@/app/api/v1/payment_intents/route';
import * as payConfirmRoute from '@/app/api/pay/[sessionId]/confirm/route';
import * as payReturnRoute from '@/app/pay/[sessionId]/return/route';
import { startFetchServer, type FetchServer } from './fetch-server';

type RouteModule = Partial<Record<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', (req: Request, ctx: { params: Promise<never> }) => Promise<Response>>>;

/** Our real route handlers, mounted on a plain node server with the same paths as in Next. */
const ROUTES: [RegExp, string[], RouteModule][] = [
  [/^\/api\/v1\/checkout\/sessions$/, [], checkoutSessionsRoute],
  [/^\/api\/v1\/checkout\/sessions\/([^/]+)$/, ['id'], checkoutSessionRoute],
  [/^\/api\/v1\/payment_intents$/, [], paymentIntentsRoute],
  [/^\/api\/v1\/payment_intents\/([^/]+)$/, ['id'], paymentIntentRoute],
  [/^\/api\/v1\/payment_intents\/([^/]+)\/confirm$/, ['id'], confirmRoute],
  [/^\/api\/v1\/payment_intents\/([^/]+)\/cancel$/, ['id'], cancelRoute],
  [/^\/api\/v1\/payment_intents\/([^/]+)\/capture$/, ['id'], captureRoute],
  [/^\/api\/v1\/(.+)$/, ['path'], notFoundRoute as unknown as RouteModule],
  [/^\/api\/pay\/([^/]+)\/confirm$/, ['sessionId'], payConfirmRoute],
  [/^\/pay\/([^/]+)\/return$/, ['sessionId'], payReturnRoute],
];

async function dispatch(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname.startsWith('/api/sandbox/card/')) return handleSandboxCardRequest(request);
  for (const [pattern, names, mod] of ROUTES) {
    const match = pattern.exec(pathname);
    if (!match) continue;
    const handler = mod[request.method as keyof RouteModule];
    if (!handler) return new Response('method not allowed', { status: 405 });
    const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1] ?? '')]));
    return handler(request, { params: Promise.resolve(params as never) });
  }
  return new Response('not found', { status: 404 });
}

export interface TestApp {
  url: string;
  close(): Promise<void>;
}

/** Starts the API and the sandbox card network on one local origin, as `next start` serves them. */
export async function startTestApp(): Promise<TestApp> {
  const server: FetchServer = await startFetchServer(dispatch);
  process.env.APP_URL = server.url;
  process.env.SANDBOX_CARD_URL = server.url;
  resetEnvCache();
  resetCardPsp();
  return server;
}

export async function createTestMerchant(name = 'Test Merchant'): Promise<CreatedMerchant> {
  return createMerchant({ name, email: `m-${randomUUID()}@example.test` });
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A client of our public API with one merchant's secret key. */
export function apiClient(app: TestApp, secretKey: string | null) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        ...(secretKey ? { authorization: `Bearer ${secretKey}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body: unknown = {}, options: { idempotencyKey?: string; headers?: Record<string, string> } = {}) =>
      call('POST', path, body, { ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}), ...options.headers }),
  };
}

/** Tokenizes a card at the sandbox network as the pay page's browser code does. */
export async function tokenizeCard(app: TestApp, number: string, cvc = '123'): Promise<string> {
  const res = await fetch(`${app.url}/api/sandbox/card/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer pk_test_sandbox_local' },
    body: JSON.stringify({ number, exp_month: 12, exp_year: new Date().getFullYear() + 3, cvc }),
  });
  const body = (await res.json()) as { id?: string; error?: unknown };
  if (!res.ok || !body.id) throw new Error(`tokenize failed: ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}
