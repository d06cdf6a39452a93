'use server';

import { headers } from 'next/headers';
import type { ActionResult } from '@/components/dashboard/access/action-result';
import { isSameOrigin } from '@/lib/auth/permissions';
import { env } from '@/lib/env';
import { normalizeError, AppError } from '@/lib/errors';
import { clientIp } from '@/lib/http/client-ip';
import { signUp } from '@/lib/team/signup';

export interface SignUpResult {
  email: string;
  secretKey: string;
}

/**
 * Creates the merchant and its owner. Not signed in yet, so no guardAction: the same-origin check
 * and the per-IP limit stand in for it. The browser signs in next with the password it holds.
 */
export async function signUpAction(form: FormData): Promise<ActionResult<SignUpResult>> {
  const h = await headers();
  if (!isSameOrigin(h, env().APP_URL)) return { ok: false, error: 'This request did not come from the sign-up page.' };
  const text = (name: string) => {
    const v = form.get(name);
    return typeof v === 'string' ? v : '';
  };
  try {
    const result = await signUp({ name: text('name'), email: text('email'), password: text('password') }, { ip: clientIp(h, env().TRUST_PROXY) });
    return { ok: true, data: { email: result.email, secretKey: result.secretKey } };
  } catch (err) {
    const appError = normalizeError(err);
    return { ok: false, error: appError.message, ...(err instanceof AppError && err.param ? { field: err.param } : {}) };
  }
}
