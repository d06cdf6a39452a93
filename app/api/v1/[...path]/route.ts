import { jsonResponse } from '@/lib/http/api';

export const dynamic = 'force-dynamic';

function notFound(request: Request): Response {
  const path = new URL(request.url).pathname;
  return jsonResponse(404, {
    error: { type: 'invalid_request_error', code: 'route_not_found', message: `Unrecognized request URL (${request.method}: ${path}).` },
  });
}

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
