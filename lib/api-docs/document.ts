import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { STRIPE_API_VERSION } from '@/lib/http/stripe-version';
import { apiError } from './objects';
import { pathParams, type ApiOperation } from './registry';
import { API_OPERATIONS } from './routes';

const errorResponses = {
  '400': { description: 'Invalid request (invalid_request_error, idempotency_error)', content: { 'application/json': { schema: apiError } } },
  '401': { description: 'No valid secret key (authentication_error)', content: { 'application/json': { schema: apiError } } },
  '402': { description: 'The card was declined (card_error)', content: { 'application/json': { schema: apiError } } },
  '404': { description: 'No such object (invalid_request_error)', content: { 'application/json': { schema: apiError } } },
  '409': { description: 'A request with this Idempotency-Key is in flight, or the object changed meanwhile', content: { 'application/json': { schema: apiError } } },
  '429': { description: 'Too many requests (rate_limit)', content: { 'application/json': { schema: apiError } } },
} as const;

function operationObject(o: ApiOperation): ZodOpenApiOperationObject {
  const params = pathParams(o.path);
  return {
    operationId: `${o.method.toLowerCase()}${o.path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: o.summary,
    ...(o.description ? { description: o.description } : {}),
    tags: [o.tag],
    ...(o.public ? { security: [] } : {}),
    requestParams: {
      ...(params.length ? { path: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } : {}),
      ...(o.query ? { query: o.query } : {}),
      ...(o.method === 'POST'
        ? { header: z.object({ 'Idempotency-Key': z.string().max(255).optional().meta({ description: 'Makes a retried POST safe: the same key and body give back the first answer.' }) }) }
        : {}),
    },
    ...(o.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': { schema: o.body },
              'application/json': { schema: o.body },
            },
          },
        }
      : {}),
    responses: {
      '200': { description: 'OK', content: { 'application/json': { schema: o.response } } },
      ...(o.public ? {} : errorResponses),
    },
  };
}

/** The OpenAPI 3.1 document of the public API, generated from the registry's zod schemas. */
export function buildOpenApiDocument(serverUrl?: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const o of API_OPERATIONS) {
    paths[o.path] = { ...paths[o.path], [o.method.toLowerCase()]: operationObject(o) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'paykit API',
      version: STRIPE_API_VERSION,
      description:
        `Stripe-compatible: the official Stripe SDKs work against this API by changing only the host. ` +
        `Wire format of Stripe API version ${STRIPE_API_VERSION}: form-encoded (or JSON) bodies, Stripe's objects, errors, ` +
        'pagination, expand[] and search. paykit extensions (M-Pesa, dead letters, event redelivery) are additive and marked.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'Your secret key, sk_test_...' } },
    },
    paths,
  });
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
export { API_OPERATIONS };
