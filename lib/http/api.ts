import type { z } from 'zod';
import type { Tx } from '@/db/client';
import type { Merchant } from '@/db/schema';
import { authenticatePublishableKey, authenticateSecretKey, isPublishableAuthorization } from '@/lib/auth/api-keys';
import { AppError, normalizeError, toApiErrorBody } from '@/lib/errors';
import { runWithEventRequest } from '@/lib/events/request-context';
import { withIdempotency, withIdempotentCall, type StoredResponse } from '@/lib/idempotency';
import { enforceApiRateLimit, retryAfterHeader } from '@/lib/rate-limit';
import { readApiBody } from './body';
import { newRequestId } from './request-id';
import { withRequestLog } from './request-log';
import { responseStripeVersion } from './stripe-version';
import { checkPathParams, parseInput } from './validation';

export { readJsonBody } from './body';
export { newRequestId } from './request-id';
export { STRIPE_API_VERSION } from './stripe-version';

/** What a handler of the public API returns: a JSON body and, optionally, a status. */
export interface ApiResult {
  status?: number;
  body: unknown;
}

export interface ApiContext<Body, Params> {
  request: Request;
  merchant: Merchant;
  params: Params;
  body: Body;
  query: URLSearchParams;
  /** The caller used the merchant's publishable key (only routes that allow it: GetOptions.publishable). */
  publishable: boolean;
}

interface RouteContext<Params> {
  params: Promise<Params>;
}

type Handler<Body, Params, T> = (ctx: ApiContext<Body, Params>, tx: T) => Promise<ApiResult>;

interface GetOptions<Params> {
  handler: Handler<undefined, Params, undefined>;
  /** Also admit the merchant's publishable key (Stripe.js's reads); the handler sees ctx.publishable. */
  publishable?: boolean;
}

type Effects = 'atomic' | 'external';

interface PostOptions<S extends z.ZodType, Params> {
  body: S;
  /**
   * atomic: the handler only writes to the database; it runs in the same transaction that stores
   * the idempotent response. external: it calls a PSP between its own transactions.
   */
  effects: Effects | ((body: z.output<S>) => Effects);
  /** How long a concurrent request with the same key is refused with 409. */
  lockMs?: number;
  handler: Handler<z.output<S>, Params, Tx | undefined>;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return jsonTextResponse(status, JSON.stringify(body), headers);
}

/** A response whose JSON is already text (an idempotent outcome: sent byte for byte as stored). */
export function jsonTextResponse(status: number, json: string, headers: Record<string, string> = {}): Response {
  return new Response(json, {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/**
 * The headers every answer of the public API carries, as Stripe's do: `Request-Id`, and
 * `Stripe-Version` (the caller's, echoed, or the one we follow).
 */
export function apiHeaders(request: Request | undefined, requestId: string): Record<string, string> {
  return { 'request-id': requestId, 'stripe-version': responseStripeVersion(request?.headers.get('stripe-version') ?? null) };
}

export function errorResponse(err: unknown, requestId: string, request?: Request): Response {
  const appError = normalizeError(err);
  return jsonResponse(appError.status, toApiErrorBody(appError), { ...apiHeaders(request, requestId), ...retryAfterHeader(err) });
}

/**
 * A method the route does not serve: 405 in Stripe's error shape with the usual headers. Every
 * route file under app/api/v1 exports it for the methods it does not serve (Next.js would
 * answer them with an empty 405); tests/integration/api-wire.test.ts checks they all do.
 */
export async function methodNotAllowed(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  return errorResponse(new AppError('method_not_allowed', `The ${request.method} method is not allowed on ${path}.`), newRequestId(), request);
}

/** An unknown route of the public API (the catch-all route): 404 invalid_request_error, as Stripe's. */
export async function routeNotFound(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  const message = `Unrecognized request URL (${request.method}: ${path}). The API reference lists the routes: /docs/api.`;
  return errorResponse(new AppError('route_not_found', message), newRequestId(), request);
}

/** What every API request passes first: the caller's secret key, its rate limit, the path params' text checks. */
async function admit<Params>(request: Request, context: RouteContext<Params>, allowPublishable = false) {
  const authorization = request.headers.get('authorization');
  const publishable = allowPublishable && isPublishableAuthorization(authorization);
  const merchant = publishable ? await authenticatePublishableKey(authorization) : await authenticateSecretKey(authorization);
  // Stripe Connect's header: paykit has no connected accounts, and acting on the key's own merchant
  // instead of the account the caller named would put money in the wrong place
  const account = request.headers.get('stripe-account');
  if (account !== null) {
    throw new AppError('parameter_invalid', `paykit has no connected accounts: this request names Stripe-Account '${account.slice(0, 64)}'. Send it without the Stripe-Account header.`);
  }
  await enforceApiRateLimit(request);
  const params = checkPathParams(await context.params);
  return { merchant, params, query: new URL(request.url).searchParams, publishable };
}

/** GET route of the public API: authenticate, run, shape errors. */
export function apiGet<Params = Record<string, never>>(options: GetOptions<Params>) {
  return withRequestLog(async (request: Request, context: RouteContext<Params>): Promise<Response> => {
    const requestId = newRequestId();
    try {
      const { merchant, params, query, publishable } = await admit(request, context, options.publishable);
      // a DELETE's events name this request too (customer.deleted)
      const eventRequest = { requestId, idempotencyKey: null };
      const result = await runWithEventRequest(eventRequest, () =>
        options.handler({ request, merchant, params, body: undefined, query, publishable }, undefined),
      );
      return jsonResponse(result.status ?? 200, result.body, apiHeaders(request, requestId));
    } catch (err) {
      return errorResponse(err, requestId, request);
    }
  });
}

/** DELETE route of the public API (no body; deleting is idempotent by nature). */
export const apiDelete = apiGet;

/**
 * POST route of the public API: authenticate, parse and validate the JSON body (unknown fields
 * rejected), then run the handler under the Idempotency-Key when one is sent.
 */
export function apiPost<S extends z.ZodType, Params = Record<string, never>>(options: PostOptions<S, Params>) {
  return withRequestLog(async (request: Request, context: RouteContext<Params>): Promise<Response> => {
    const requestId = newRequestId();
    try {
      const { merchant, params, query, publishable } = await admit(request, context);
      const { input, encoding } = await readApiBody(request);
      const body = parseInput(options.body, input, 'api', encoding);
      const ctx: ApiContext<z.output<S>, Params> = { request, merchant, params, body, query, publishable };
      const effects = typeof options.effects === 'function' ? options.effects(body) : options.effects;
      const key = request.headers.get('idempotency-key');
      // every event the handler writes carries this request (Stripe's event.request)
      const eventRequest = { requestId, idempotencyKey: key };
      if (key === null) {
        const result = await runWithEventRequest(eventRequest, () => runWithoutKey(options, effects, ctx));
        return jsonResponse(result.status ?? 200, result.body, apiHeaders(request, requestId));
      }
      const scope = {
        merchantId: merchant.id,
        key,
        endpoint: `POST ${canonicalApiPath(new URL(request.url).pathname)}`,
        body,
        lockMs: options.lockMs,
      };
      const toStored = (r: ApiResult): StoredResponse => ({ status: r.status ?? 200, body: r.body });
      const outcome = await runWithEventRequest(eventRequest, () =>
        effects === 'atomic'
          ? withIdempotency(scope, async (tx) => toStored(await options.handler(ctx, tx)))
          : withIdempotentCall(scope, async () => toStored(await options.handler(ctx, undefined))),
      );
      return jsonTextResponse(outcome.status, outcome.bodyJson, {
        ...apiHeaders(request, requestId),
        'idempotency-key': key,
        ...(outcome.replayed ? { 'idempotent-replayed': 'true' } : {}),
      });
    } catch (err) {
      return errorResponse(err, requestId, request);
    }
  });
}

/**
 * `/v1/x` and `/api/v1/x` are one endpoint (next.config.mjs rewrites the first to the second), so
 * an Idempotency-Key used on one spelling is the same key on the other.
 */
export function canonicalApiPath(pathname: string): string {
  return pathname.startsWith('/v1/') ? `/api${pathname}` : pathname;
}

async function runWithoutKey<S extends z.ZodType, Params>(options: PostOptions<S, Params>, effects: Effects, ctx: ApiContext<z.output<S>, Params>) {
  if (effects === 'atomic') {
    const { getDb } = await import('@/db/client');
    return getDb().transaction((tx) => options.handler(ctx, tx));
  }
  return options.handler(ctx, undefined);
}

/** Requires a transaction for atomic handlers (a programming error otherwise). */
export function requireTx(tx: Tx | undefined): Tx {
  if (!tx) throw new Error('atomic handler called without a transaction');
  return tx;
}
