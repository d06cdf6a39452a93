import { z } from 'zod';
import { getDb } from '@/db/client';
import { recordAudit } from '@/lib/audit';
import { isAttemptAllowed, RATE_LIMIT_MESSAGE, recordAttempt } from '@/lib/auth/login-rate-limit';
import { AppError } from '@/lib/errors';
import { createMerchant } from '@/lib/merchants';
import { parseFormInput } from '@/lib/http/validation';

export const signUpInput = z.object({
  name: z.string().trim().min(1, 'Enter your business name.').max(200, 'The name is too long.'),
  email: z.string().trim().toLowerCase().email('Enter a valid email address.').max(320),
  password: z.string().min(10, 'The password must be at least 10 characters.').max(200, 'The password is too long.'),
});

export interface SignedUp {
  merchantId: string;
  userId: string;
  email: string;
  /** The first test secret key: shown once on the sign-up result, only its hash is stored. */
  secretKey: string;
}

/** A new merchant with its owner; rate limited per IP (and per email) like sign-in. */
export async function signUp(input: z.input<typeof signUpInput>, context: { ip: string | null }): Promise<SignedUp> {
  const data = parseFormInput(signUpInput, input);
  const subject = { kind: 'signup' as const, email: data.email, ip: context.ip };
  if (!(await isAttemptAllowed(subject))) throw new AppError('rate_limited', RATE_LIMIT_MESSAGE);
  let created;
  try {
    created = await createMerchant(data);
  } catch (err) {
    await recordAttempt({ ...subject, succeeded: false });
    throw err;
  }
  await recordAttempt({ ...subject, succeeded: true });
  // createMerchant runs its own transaction, so the audit entry follows it.
  await recordAudit(getDb(), {
    merchantId: created.merchant.id,
    userId: created.userId,
    actorEmail: created.email,
    action: 'merchant.signup',
    targetType: 'merchant',
    targetId: created.merchant.id,
    ip: context.ip,
  });
  return { merchantId: created.merchant.id, userId: created.userId, email: created.email, secretKey: created.secretKey };
}
