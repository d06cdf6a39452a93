import { methodNotAllowed } from '@/lib/http/api';
import { openApiResponse } from '@/lib/api-docs/serve';

export const dynamic = 'force-dynamic';

/** GET /v1/openapi.json (and /api/v1/openapi.json): the public API's OpenAPI 3.1 document; no key needed. */
export const GET = openApiResponse;

export const POST = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
