import { asc, sql } from 'drizzle-orm';
import { z } from 'zod';
import { parseFormInput } from '@/lib/http/validation';
import { getDb } from '@/db/client';
import { merchants, users, type Merchant } from '@/db/schema';
import { createSecretKey } from '@/lib/auth/api-keys';
import { generatePassword, hashPassword } from '@/lib/auth/passwords';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';

export const createMerchantInput = z
  .object({
    name: z.string().trim().min(1, 'name is required').max(200),
    email: z.string().trim().toLowerCase().email('email must be a valid address'),
    password: z.string().min(10, 'password must be at least 10 characters').max(200).optional(),
  })
  .strict();

export interface CreatedMerchant {
  merchant: Merchant;
  userId: string;
  email: string;
  /** Shown once; only its hash is stored. */
  password: string;
  /** Shown once; only its hash is stored. */
  secretKey: string;
}

/** Creates a merchant with its owner login and a test secret key, in one transaction. */
export async function createMerchant(input: z.input<typeof createMerchantInput>): Promise<CreatedMerchant> {
  const { name, email, ...rest } = parseFormInput(createMerchantInput, input);
  const password = rest.password ?? generatePassword();
  const passwordHash = await hashPassword(password);
  const db = getDb();
  return db.transaction(async (tx) => {
    const existing = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${email}`).limit(1);
    if (existing.length > 0) throw new AppError('parameter_invalid', `A user with email ${email} already exists.`, { param: 'email' });
    const [merchant] = await tx.insert(merchants).values({ id: newId('merchant'), name, email }).returning();
    if (!merchant) throw new Error('merchant insert returned nothing');
    const userId = newId('user');
    await tx.insert(users).values({ id: userId, merchantId: merchant.id, email, passwordHash, role: 'owner' });
    const { secretKey } = await createSecretKey(tx, merchant.id);
    return { merchant, userId, email, password, secretKey };
  });
}

export async function listMerchants(): Promise<Merchant[]> {
  return getDb().select().from(merchants).orderBy(asc(merchants.createdAt));
}
