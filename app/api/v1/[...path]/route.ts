import { routeNotFound } from '@/lib/http/api';

export const dynamic = 'force-dynamic';

export const GET = routeNotFound;
export const POST = routeNotFound;
export const PUT = routeNotFound;
export const PATCH = routeNotFound;
export const DELETE = routeNotFound;
