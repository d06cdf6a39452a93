import type { z } from 'zod';

/**
 * One documented operation of the public API. `path` is the /v1 path with `{param}` for a
 * dynamic segment (app/api/v1/refunds/[id]/route.ts is /v1/refunds/{id}); `query` and `body` are
 * the zod schemas the route itself parses with (so the document cannot drift from validation).
 */
export interface ApiOperation {
  method: 'GET' | 'POST' | 'DELETE';
  path: `/v1/${string}`;
  summary: string;
  /** The group on the reference page (Stripe's resource names). */
  tag: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  response: z.ZodType;
  description?: string;
  /** Answered without a secret key (e.g. the OpenAPI document itself). */
  public?: boolean;
}

/** Shorthand for a registry line: `op('GET', '/v1/refunds/{id}', 'Refunds', 'Retrieve a refund', { response: refund })`. */
export function op(
  method: ApiOperation['method'],
  path: ApiOperation['path'],
  tag: string,
  summary: string,
  schemas: Pick<ApiOperation, 'query' | 'body' | 'response' | 'description' | 'public'>,
): ApiOperation {
  return { method, path, tag, summary, ...schemas };
}

/** `/v1/refunds/{id}` -> ['id']. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!);
}
