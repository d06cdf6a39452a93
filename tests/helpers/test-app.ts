import { randomUUID } from 'node:crypto';
import { env, resetEnvCache } from '@/lib/env';
import { createMerchant, type CreatedMerchant } from '@/lib/merchants';
import { resetCardPsp } from '@/lib/psp';
import { startFetchServer, type FetchServer } from './fetch-server';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type RouteModule = Partial<Record<Method, (req: Request, ctx: { params: Promise<never> }) => Promise<Response>>>;

// Every route.ts under app/ (except the Inngest and next-auth ones, which need Next itself),
// mounted on a plain node server with the same paths as in Next.
const routeModules = (import.meta as unknown as GlobImportMeta).glob<RouteModule>(['/app/**/route.ts', '!/app/api/inngest/**', '!/app/api/auth/**']);

interface GlobImportMeta {
  glob<T>(patterns: string[]): Record<string, () => Promise<T>>;
}

interface Route {
  pattern: RegExp;
  names: string[];
  load: () => Promise<RouteModule>;
  rank: number;
}

function toRoute(file: string, load: () => Promise<RouteModule>): Route {
  const segments = file.replace(/^\/app/, '').replace(/\/route\.ts$/, '').split('/').filter(Boolean);
  const names: string[] = [];
  let rank = 0;
  const parts = segments.map((seg) => {
    const catchAll = /^\[\.\.\.(\w+)\]$/.exec(seg);
    if (catchAll) {
      names.push(catchAll[1]!);
      rank += 1000;
      return '(.+)';
    }
    const param = /^\[(\w+)\]$/.exec(seg);
    if (param) {
      names.push(param[1]!);
      rank += 10;
      return '([^/]+)';
    }
    return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return { pattern: new RegExp(`^/${parts.join('/')}$`), names, load, rank };
}

// static segments win over dynamic ones, and catch-alls come last, as in Next
const ROUTES = Object.entries(routeModules)
  .map(([file, load]) => toRoute(file, load))
  .sort((a, b) => a.rank - b.rank);

/** next.config.mjs's rewrite: the public API at /v1/* is served by the /api/v1/* routes. */
export function rewritePath(pathname: string): string {
  return pathname === '/v1' || pathname.startsWith('/v1/') ? `/api${pathname}` : pathname;
}

async function dispatch(request: Request): Promise<Response> {
  const pathname = rewritePath(new URL(request.url).pathname);
  for (const route of ROUTES) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const mod = await route.load();
    const handler = mod[request.method as Method];
    // What Next.js answers for a method the route file does not export: an empty 405.
    if (!handler) return new Response(null, { status: 405 });
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1] ?? '')]));
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
  // The tests stand in for a proxy in front of the app: they set X-Forwarded-For to play different
  // customers, so the loopback peer is trusted (a file can set TRUST_PROXY itself; see tests/security).
  process.env.TRUST_PROXY ??= 'loopback';
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

/**
 * Tokenizes a card at the sandbox network as the pay page's browser code does: for the merchant
 * that will charge it (Sandbox-Account). Without merchantId the token belongs to the platform
 * account itself, and no merchant can charge it. `at` is the test app or any server that serves
 * the sandbox routes; the CVC defaults to one of the brand's length (4 digits for Amex).
 */
export async function tokenizeCard(
  at: { url: string },
  number: string,
  options: { merchantId?: string; cvc?: string; expYear?: number } = {},
): Promise<string> {
  const res = await fetch(`${at.url}/api/sandbox/card/v1/tokens`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${env().SANDBOX_PUBLISHABLE_KEY}`,
      ...(options.merchantId ? { 'sandbox-account': options.merchantId } : {}),
    },
    body: JSON.stringify({ number, exp_month: 12, exp_year: options.expYear ?? new Date().getFullYear() + 3, cvc: options.cvc ?? (/^3[47]/.test(number) ? '1234' : '123') }),
  });
  const body = (await res.json()) as { id?: string; error?: unknown };
  if (res.status !== 200 || !body.id) throw new Error(`tokenize failed: ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}
