import { z } from 'zod';
import { apiPost, methodNotAllowed } from '@/lib/http/api';
import { redeliverEvent } from '@/lib/webhooks/redeliver';

export const dynamic = 'force-dynamic';

export const POST = apiPost<z.ZodObject<Record<string, never>>, { id: string }>({
  body: z.object({}).strict(),
  effects: 'external',
  handler: async ({ merchant, params }) => ({
    body: { object: 'list', data: await redeliverEvent(merchant.id, params.id) },
  }),
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
