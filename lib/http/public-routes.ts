import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { env } from '@/lib/env';
import { enforceRateLimit } from '@/lib/rate-limit';
import { errorResponse, jsonResponse } from './api';
import { readJsonBody, readTextBody } from './body';
import { requireClientIp } from './client-ip';
import { newRequestId } from './request-id';
import { checkPathParams, parseInput } from './validation';

/**
 * The routes outside the merchant API, with the same frame as apiGet/apiPost (request id, typed
 * errors, rate limit, bounded body reading): the hosted pay page's calls (the customer's browser,
 * authenticated by the session id in the path, limited per client IP) and the PSPs' callbacks
 * (verified by the receiver, limited per source IP).
 */

interface RouteContext<Params> {
  params: Promise<Params>;
}

/** What a pay-page handler returns: a status, the JSON body, and whether it replays a stored outcome. */
export interface PayResult {
  status?: number;
  body: unknown;
  replayed?: boolean;
}

export interface PayContext<Body, Params> {
  request: Request;
  params: Params;
  body: Body;
  /** The customer's address (risk checks, the rate limit), after TRUST_PROXY. */
  customerIp: string;
  /**
   * The pay page sends one per click so a resent request is answered once; without one each
   * request is its own attempt.
   */
  idempotencyKey: string;
}

type RouteHandler<Params> = (request: Request, context: RouteContext<Params>) => Promise<Response>;

function payRoute<Body, Params>(readBody: (request: Request) => Promise<Body>, handler: (ctx: PayContext<Body, Params>) => Promise<PayResult>): RouteHandler<Params> {
  return async (request, context) => {
    const requestId = newRequestId();
    try {
      const customerIp = requireClientIp(request.headers, env().TRUST_PROXY);
      await enforceRateLimit('pay_page', customerIp);
      const params = checkPathParams(await context.params);
      const body = await readBody(request);
      const idempotencyKey = request.headers.get('idempotency-key') ?? randomUUID();
      const result = await handler({ request, params, body, customerIp, idempotencyKey });
      return jsonResponse(result.status ?? 200, result.body, { 'request-id': requestId, ...(result.replayed ? { 'idempotent-replayed': 'true' } : {}) });
    } catch (err) {
      return errorResponse(err, requestId);
    }
  };
}

/** POST route of the pay page: its JSON body validated by `body`. */
export function payPost<S extends z.ZodType, Params>(options: { body: S; handler: (ctx: PayContext<z.output<S>, Params>) => Promise<PayResult> }) {
  return payRoute<z.output<S>, Params>(async (request) => parseInput(options.body, await readJsonBody(request)), options.handler);
}

/** GET route of the pay page (status polls). */
export function payGet<Params>(handler: (ctx: PayContext<undefined, Params>) => Promise<PayResult>) {
  return payRoute<undefined, Params>(async () => undefined, handler);
}

/** PSP callbacks can carry a whole object (Stripe's events); still bounded. */
export const CALLBACK_MAX_BODY_BYTES = 1024 * 1024;

export interface CallbackContext<Params> {
  request: Request;
  params: Params;
  /** The body exactly as sent: signatures are computed over it. */
  rawBody: string;
}

/**
 * POST route for a PSP's callbacks: the handler verifies and stores the callback and returns the
 * acknowledgement the PSP expects (200). Refusals are typed errors, so the PSP sees a 4xx it will
 * not retry forever only when the callback is bad, and a 5xx (it retries) when we failed.
 */
export function pspCallbackPost<Params = Record<string, never>>(handler: (ctx: CallbackContext<Params>) => Promise<unknown>): RouteHandler<Params> {
  return async (request, context) => {
    const requestId = newRequestId();
    try {
      // per source address: generous, since a PSP sends every merchant's callbacks from a few
      await enforceRateLimit('psp_callback', requireClientIp(request.headers, env().TRUST_PROXY));
      const params = checkPathParams(await context.params);
      const rawBody = await readTextBody(request, CALLBACK_MAX_BODY_BYTES);
      return jsonResponse(200, await handler({ request, params, rawBody }), { 'request-id': requestId });
    } catch (err) {
      return errorResponse(err, requestId);
    }
  };
}
