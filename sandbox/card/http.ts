import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { env, requireSecret } from '@/lib/env';
import { isCurrency } from '@/lib/money';
import { cancelPayment, capturePayment, completeChallenge, createPayment, getPayment } from './acquirer';
import { setSandboxCallbackFaults } from './callbacks';
import { invalidRequest, SandboxError } from './errors';
import { getRefund, refundPayment } from './refunds';
import { serializePayment, serializeRefund, serializeSettlementLine, serializeTokenForAcquirer, serializeTokenForBrowser } from './serialize';
import { setSettlementFaults, settlementFile, settlementFileComplete, settlementLines, type SettlementFault } from './settlements';
import { getToken, saveCardOnFile, tokenizeCard, type Account } from './tokenizer';

/**
 * The sandbox card network's HTTP API as a plain fetch-style handler: the Next route delegates to
 * it, and tests mount it on a node http server. Paths are matched after API_PREFIX.
 */
export const API_PREFIX = '/api/sandbox/card/v1/';

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Idempotency-Key, Sandbox-Account',
  'Access-Control-Max-Age': '600',
} as const;

/** Who may call a route: anyone (the cardholder's browser), the publishable key, or the acquirer key. */
type Access = 'cardholder' | 'publishable' | 'acquirer';

interface RouteContext {
  request: Request;
  params: string[];
  body(): Promise<Record<string, unknown>>;
}

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  access: Access;
  handle(context: RouteContext): Promise<unknown>;
}

const createPaymentBody = z.object({
  token: z.string().min(1),
  amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  currency: z
    .string()
    .transform((c) => c.toLowerCase())
    .refine(isCurrency, 'unsupported currency'),
  capture: z.boolean().default(true),
  off_session: z.boolean().default(false),
  // Only http(s): the 3-D Secure page sends the browser there, so javascript: URLs must never pass.
  return_url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .nullish(),
});

const captureBody = z.object({ amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional() });
const refundBody = z.object({ amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const challengeBody = z.object({ result: z.enum(['succeeded', 'failed']) });
// Unset fields are off: each call states the whole fault set, so a test never inherits a stale one.
const faultsBody = z.object({
  drop: z.boolean().optional(),
  duplicate: z.boolean().optional(),
  delayMs: z.number().int().min(0).max(60_000).optional(),
  reorder: z.boolean().optional(),
});

const instant = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date-time')
  .transform((v) => new Date(v));
const settlementQuery = z.object({ from: instant, to: instant });
/** The longest settlement window, so one unpaginated answer stays small. */
const MAX_SETTLEMENT_WINDOW_MS = 92 * 86_400_000;

function settlementWindow(request: Request): { from: Date; to: Date } {
  const { from, to } = parseWith(settlementQuery, Object.fromEntries(new URL(request.url).searchParams));
  if (from >= to) throw invalidRequest('parameter_invalid', 'Invalid to: it must be after from.', 'to');
  if (to.getTime() - from.getTime() > MAX_SETTLEMENT_WINDOW_MS) throw invalidRequest('parameter_invalid', 'Invalid to: the window is at most 92 days.', 'to');
  return { from, to };
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v), 'must be a real date');
const reference = z.string().min(1).max(255);
const settlementFaultsBody = z.object({
  faults: z
    .array(
      z.discriminatedUnion('kind', [
        z.object({ kind: z.enum(['missing_line', 'duplicate_line', 'late_line', 'currency_mismatch']), reference }),
        z.object({ kind: z.enum(['fee_different', 'amount_different']), reference, delta_minor: z.number().int().min(-1_000_000).max(1_000_000).refine((d) => d !== 0, 'must not be 0') }),
        z.object({ kind: z.literal('unknown_charge'), date: day, amount_minor: z.number().int().positive().max(Number.MAX_SAFE_INTEGER), currency: z.string().refine(isCurrency, 'unsupported currency') }),
      ]),
    )
    .max(1_000),
});

function toSettlementFault(f: z.infer<typeof settlementFaultsBody>['faults'][number]): SettlementFault {
  switch (f.kind) {
    case 'fee_different':
    case 'amount_different':
      return { kind: f.kind, reference: f.reference, deltaMinor: f.delta_minor };
    case 'unknown_charge':
      return { kind: f.kind, date: f.date, amountMinor: f.amount_minor, currency: f.currency };
    default:
      return { kind: f.kind, reference: f.reference };
  }
}

/** A settlement file as a streamed CSV body: rows go out as the database cursor yields them. */
function settlementFileResponse(date: string): Response {
  const complete = settlementFileComplete(date);
  const lines = settlementFile(date);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await lines.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (err) {
        // the file stops without its trailer, so the reader knows it was cut short; say why here
        console.error(`[sandbox card] settlement file ${date} failed mid-stream:`, err);
        controller.error(err);
      }
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      ...CORS_HEADERS,
      'Content-Type': 'text/csv; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Disposition': `attachment; filename="settlement-${date}.csv"`,
      // false: the day is not over, this is the report so far
      'Settlement-Report-Complete': String(complete),
    },
  });
}

function parseWith<T extends z.ZodType>(schema: T, body: Record<string, unknown>): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue?.path.join('.') || undefined;
  const missing = param !== undefined && body[param] === undefined;
  throw invalidRequest(
    missing ? 'parameter_missing' : 'parameter_invalid',
    missing ? `Missing required param: ${param}.` : `Invalid ${param ?? 'request'}: ${issue?.message ?? 'invalid'}`,
    param,
  );
}

function idempotencyKey(request: Request): string {
  const key = request.headers.get('idempotency-key')?.trim();
  if (!key) throw invalidRequest('idempotency_key_missing', 'The Idempotency-Key header is required.');
  if (key.length > 255)
    throw invalidRequest('idempotency_key_invalid', 'The Idempotency-Key header must be at most 255 characters.');
  return key;
}

const ACCOUNT_FORMAT = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The platform sub-merchant a call acts for, from the Sandbox-Account header (as Stripe-Account
 * names a connected account): the pay page sends the merchant's id when it tokenizes, the
 * platform's adapter sends it when it reads or charges a token. Absent: the platform itself.
 */
function accountOf(request: Request): Account {
  const header = request.headers.get('sandbox-account');
  if (header === null) return null;
  const account = header.trim();
  if (!ACCOUNT_FORMAT.test(account)) {
    const message = 'The Sandbox-Account header must be 1 to 64 letters, digits, _ or -.';
    throw invalidRequest('parameter_invalid', message, 'Sandbox-Account');
  }
  return account;
}

const ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: /^tokens$/,
    access: 'publishable',
    handle: async ({ request, body }) => serializeTokenForBrowser(await tokenizeCard(await body(), accountOf(request))),
  },
  {
    method: 'GET',
    path: /^tokens\/([^/]+)$/,
    access: 'acquirer',
    handle: async ({ request, params }) => serializeTokenForAcquirer(await getToken(params[0]!, accountOf(request))),
  },
  {
    // Saves the card for later (merchant-initiated) charges: the token becomes a card on file.
    method: 'POST',
    path: /^tokens\/([^/]+)\/card_on_file$/,
    access: 'acquirer',
    handle: async ({ request, params }) =>
      serializeTokenForAcquirer(await saveCardOnFile(params[0]!, accountOf(request), idempotencyKey(request))),
  },
  {
    method: 'POST',
    path: /^payments$/,
    access: 'acquirer',
    handle: async ({ request, body }) => {
      const key = idempotencyKey(request);
      const input = parseWith(createPaymentBody, await body());
      const { return_url: returnUrl, off_session: offSession, ...rest } = input;
      return serializePayment(await createPayment({ ...rest, returnUrl: returnUrl ?? null, offSession }, key, accountOf(request)));
    },
  },
  {
    method: 'GET',
    path: /^payments\/([^/]+)$/,
    access: 'acquirer',
    handle: async ({ params }) => serializePayment(await getPayment(params[0]!)),
  },
  {
    method: 'POST',
    path: /^payments\/([^/]+)\/capture$/,
    access: 'acquirer',
    handle: async ({ params, body }) => {
      const { amount } = parseWith(captureBody, await body());
      return serializePayment(await capturePayment(params[0]!, amount));
    },
  },
  {
    method: 'POST',
    path: /^payments\/([^/]+)\/cancel$/,
    access: 'acquirer',
    handle: async ({ params }) => serializePayment(await cancelPayment(params[0]!)),
  },
  {
    method: 'POST',
    path: /^payments\/([^/]+)\/refunds$/,
    access: 'acquirer',
    handle: async ({ request, params, body }) => {
      const key = idempotencyKey(request);
      const { amount } = parseWith(refundBody, await body());
      return serializeRefund(await refundPayment(params[0]!, amount, key));
    },
  },
  {
    method: 'GET',
    path: /^refunds\/([^/]+)$/,
    access: 'acquirer',
    handle: async ({ params }) => serializeRefund(await getRefund(params[0]!)),
  },
  {
    method: 'GET',
    path: /^settlements$/,
    access: 'acquirer',
    handle: async ({ request }) => {
      const { from, to } = settlementWindow(request);
      return { object: 'list', data: (await settlementLines(from, to)).map(serializeSettlementLine), has_more: false };
    },
  },
  {
    // The daily settlement file of the platform's account, as CSV (see settlements.ts).
    method: 'GET',
    path: /^settlement_files\/([^/]+)$/,
    access: 'acquirer',
    handle: async ({ params }) => settlementFileResponse(parseWith(z.object({ date: day }), { date: params[0] }).date),
  },
  {
    // Switches the settlement file's faults for this process; each call states the whole set.
    method: 'POST',
    path: /^settlement_faults$/,
    access: 'acquirer',
    handle: async ({ body }) => {
      const { faults } = parseWith(settlementFaultsBody, await body());
      return { object: 'settlement_faults', faults: setSettlementFaults(faults.map(toSettlementFault)) };
    },
  },
  {
    method: 'POST',
    path: /^payments\/([^/]+)\/3ds$/,
    access: 'cardholder',
    handle: async ({ params, body }) => {
      const { result } = parseWith(challengeBody, await body());
      return serializePayment(await completeChallenge(params[0]!, result));
    },
  },
  {
    // Switches callback faults for this process, so e2e tests can flip them on a running server.
    method: 'POST',
    path: /^faults$/,
    access: 'acquirer',
    handle: async ({ body }) => {
      const faults = parseWith(faultsBody, await body());
      return { object: 'callback_faults', ...setSandboxCallbackFaults(faults) };
    },
  },
];

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...CORS_HEADERS, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
}

function errorResponse(err: SandboxError): Response {
  return json(err.status, {
    error: { type: err.type, code: err.code, message: err.message, ...(err.param ? { param: err.param } : {}) },
  });
}

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal-length buffers, so the compare is constant-time whatever the input.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function authorize(request: Request, access: Access): void {
  if (access === 'cardholder') return;
  const header = request.headers.get('authorization') ?? '';
  const key = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  const acquirerKey = requireSecret('SANDBOX_ACQUIRER_KEY');
  const allowed = access === 'publishable' ? [env().SANDBOX_PUBLISHABLE_KEY, acquirerKey] : [acquirerKey];
  if (!key || !allowed.some((secret) => sameSecret(key, secret))) {
    throw new SandboxError(
      401,
      'authentication_error',
      key ? 'api_key_invalid' : 'api_key_missing',
      'Invalid or missing API key.',
    );
  }
}

/** Reads the JSON body once; an empty body is {}. Never logged: a tokenize body holds a PAN. */
function bodyReader(request: Request): () => Promise<Record<string, unknown>> {
  return async () => {
    const text = await request.text();
    if (text.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalidRequest('body_invalid_json', 'The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw invalidRequest('body_invalid_json', 'The request body must be a JSON object.');
    }
    return parsed as Record<string, unknown>;
  };
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidRequest('parameter_invalid', 'The path is not correctly encoded.');
  }
}

function matchRoute(method: string, subpath: string): { route: Route; params: string[] } | 'method_not_allowed' | undefined {
  let pathMatched = false;
  for (const route of ROUTES) {
    const match = route.path.exec(subpath);
    if (!match) continue;
    pathMatched = true;
    if (route.method === method) return { route, params: match.slice(1).map(decodePathSegment) };
  }
  return pathMatched ? 'method_not_allowed' : undefined;
}

async function dispatch(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith(API_PREFIX)) throw new SandboxError(404, 'invalid_request_error', 'route_not_found', 'Unknown route.');
  const matched = matchRoute(request.method, pathname.slice(API_PREFIX.length).replace(/\/$/, ''));
  if (!matched) throw new SandboxError(404, 'invalid_request_error', 'route_not_found', 'Unknown route.');
  if (matched === 'method_not_allowed') {
    throw new SandboxError(405, 'invalid_request_error', 'method_not_allowed', `${request.method} is not allowed here.`);
  }
  authorize(request, matched.route.access);
  const result = await matched.route.handle({ request, params: matched.params, body: bodyReader(request) });
  return result instanceof Response ? result : json(200, result);
}

export async function handleSandboxCardRequest(request: Request): Promise<Response> {
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: CORS_HEADERS });
  try {
    return await dispatch(request);
  } catch (err) {
    if (err instanceof SandboxError) return errorResponse(err);
    // Only the error itself is logged, never the request (a tokenize body holds a PAN).
    console.error('[sandbox-card] unhandled error:', err instanceof Error ? (err.stack ?? err.message) : err);
    return json(500, { error: { type: 'api_error', code: 'internal_error', message: 'An unexpected error occurred.' } });
  }
}
