import { z } from 'zod';
import { env } from '@/lib/env';
import { apiPost, methodNotAllowed } from '@/lib/http/api';
import { expireCheckoutSessionNow } from '@/lib/checkout/sessions';

export const dynamic = 'force-dynamic';

export const POST = apiPost<z.ZodObject<Record<string, never>>, { id: string }>({
  body: z.object({}).strict(),
  // cancels the session's PaymentIntent, which may ask the PSP to void a 3-D Secure payment
  effects: 'external',
  handler: async ({ merchant, params }) => ({ body: await expireCheckoutSessionNow(merchant.id, params.id, env().APP_URL) }),
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
