import { and, eq, isNull } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { sandboxCardTokens, type SandboxCardToken } from '@/db/schema';
import { randomToken } from '@/lib/ids';
import {
  brandForNumber,
  cvcLengthForBrand,
  hasValidLengthForBrand,
  normalizeCardNumber,
  passesLuhn,
  type CardBrand,
} from './card-number';
import { cardError, invalidRequest, notFound } from './errors';
import { cardFingerprint } from './fingerprint';
import { behaviourForNumber, testPaymentMethod } from './test-cards';

/** A card that passed validation. Lives only for the duration of one tokenize call. */
interface ValidatedCard {
  digits: string;
  brand: CardBrand;
  expMonth: number;
  expYear: number;
}

const MAX_YEARS_AHEAD = 50;

function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,4}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function validateNumber(raw: unknown): { digits: string; brand: CardBrand } {
  const digits = typeof raw === 'string' ? normalizeCardNumber(raw) : undefined;
  if (!digits || !passesLuhn(digits)) throw cardError('incorrect_number', 'Your card number is incorrect.', 'number');
  const brand = brandForNumber(digits);
  if (!brand) throw cardError('unsupported_brand', 'Your card brand is not supported.', 'number');
  if (!hasValidLengthForBrand(digits, brand)) throw cardError('incorrect_number', 'Your card number is incorrect.', 'number');
  return { digits, brand };
}

function validateExpiry(rawMonth: unknown, rawYear: unknown, now: Date): { expMonth: number; expYear: number } {
  const expMonth = toInteger(rawMonth);
  if (expMonth === undefined || expMonth < 1 || expMonth > 12) {
    throw cardError('invalid_expiry_month', "Your card's expiration month is invalid.", 'exp_month');
  }
  const year = toInteger(rawYear);
  // Two-digit years are how cards print them.
  const expYear = year !== undefined && year < 100 ? 2000 + year : year;
  const currentYear = now.getUTCFullYear();
  if (expYear === undefined || expYear < currentYear || expYear > currentYear + MAX_YEARS_AHEAD) {
    throw cardError('invalid_expiry_year', "Your card's expiration year is invalid.", 'exp_year');
  }
  if (expYear === currentYear && expMonth < now.getUTCMonth() + 1) {
    throw cardError('invalid_expiry_month', "Your card's expiration month is invalid.", 'exp_month');
  }
  return { expMonth, expYear };
}

function validateCvc(raw: unknown, brand: CardBrand): void {
  const cvc = typeof raw === 'number' ? String(raw) : raw;
  const length = cvcLengthForBrand(brand);
  if (typeof cvc !== 'string' || !new RegExp(`^\\d{${length}}$`).test(cvc.trim())) {
    throw cardError('invalid_cvc', "Your card's security code is invalid.", 'cvc');
  }
}

/** Checks what a cardholder typed; throws a card_error naming the first bad field. */
export function validateCardInput(input: Record<string, unknown>, now = new Date()): ValidatedCard {
  const { digits, brand } = validateNumber(input.number);
  const expiry = validateExpiry(input.exp_month, input.exp_year, now);
  validateCvc(input.cvc, brand);
  return { digits, brand, ...expiry };
}

/**
 * The platform account a request acts for: the Sandbox-Account header (a sub-merchant of the
 * platform, as Stripe-Account names a connected account), or null for the platform itself.
 */
export type Account = string | null;

/** The stored form of a card: everything but the PAN and CVC. */
function tokenRowFor(id: string, card: ValidatedCard, account: Account): typeof sandboxCardTokens.$inferInsert {
  const behaviour = behaviourForNumber(card.digits);
  return {
    id,
    account,
    brand: card.brand,
    bin: card.digits.slice(0, 6),
    last4: card.digits.slice(-4),
    expMonth: card.expMonth,
    expYear: card.expYear,
    fingerprint: cardFingerprint(card.digits),
    issuerProfile: behaviour.issuerProfile,
    riskLevel: behaviour.riskLevel,
  };
}

/**
 * Validates the card and stores a single-use token for it, owned by `account`. The CVC is
 * checked, then forgotten.
 */
export async function tokenizeCard(input: Record<string, unknown>, account: Account): Promise<SandboxCardToken> {
  const card = validateCardInput(input);
  const [row] = await getDb()
    .insert(sandboxCardTokens)
    .values(tokenRowFor(`tok_${randomToken(24)}`, card, account))
    .returning();
  if (!row) throw new Error('token insert returned no row');
  return row;
}

/**
 * A pm_card_* id becomes a token row with that id on first use (the insert is a no-op after).
 * Like Stripe's, these are shared test fixtures, not tokens: any account may charge them, again and again.
 */
async function ensureTestPaymentMethodToken(id: string): Promise<SandboxCardToken | undefined> {
  const method = testPaymentMethod(id);
  if (!method) return undefined;
  const expYear = new Date().getUTCFullYear() + 5;
  const card: ValidatedCard = { digits: method.number, brand: method.brand, expMonth: 12, expYear };
  await getDb()
    .insert(sandboxCardTokens)
    .values({ ...tokenRowFor(id, card, null), reusable: true })
    .onConflictDoNothing();
  return findStoredToken(id);
}

async function findStoredToken(id: string): Promise<SandboxCardToken | undefined> {
  const [row] = await getDb().select().from(sandboxCardTokens).where(eq(sandboxCardTokens.id, id));
  return row;
}

/**
 * A token by id as `account` sees it, including Stripe's pm_card_* test ids. Another account's
 * token does not exist for it (the same answer as an unknown id, so its existence is not revealed).
 */
export async function findToken(id: string, account: Account): Promise<SandboxCardToken | undefined> {
  const token = (await findStoredToken(id)) ?? (await ensureTestPaymentMethodToken(id));
  if (!token) return undefined;
  // A card on file is reusable but, like a token, only its own account's
  const sharedTestCard = token.reusable && !token.cardOnFile;
  return sharedTestCard || token.account === account ? token : undefined;
}

export async function getToken(id: string, account: Account): Promise<SandboxCardToken> {
  const token = await findToken(id, account);
  if (!token) throw notFound('token', id);
  return token;
}

/**
 * Saves a card for later charges: exchanges an unused single-use token for a reusable card on
 * file (`card_...`) of the same account, in one transaction under the token's row lock, so a
 * token becomes at most one card on file and is never also charged. Safe to retry: the same
 * Idempotency-Key (or the same token again) returns the card on file already issued. Shared test
 * cards (pm_card_*) are already reusable and come back as they are.
 */
export async function saveCardOnFile(tokenId: string, account: Account, idempotencyKey: string): Promise<SandboxCardToken> {
  const visible = await findToken(tokenId, account);
  if (!visible) throw notFound('token', tokenId);
  if (visible.reusable) return visible;
  return getDb().transaction(async (tx) => {
    const [token] = await tx.select().from(sandboxCardTokens).where(eq(sandboxCardTokens.id, tokenId)).for('update');
    if (!token) throw notFound('token', tokenId);
    const [issued] = await tx.select().from(sandboxCardTokens).where(eq(sandboxCardTokens.sourceTokenId, token.id));
    if (issued) return issued;
    const taken = await tx
      .update(sandboxCardTokens)
      .set({ usedAt: new Date(), usedByIdempotencyKey: `card_on_file:${idempotencyKey}` })
      .where(and(eq(sandboxCardTokens.id, token.id), isNull(sandboxCardTokens.usedByIdempotencyKey)))
      .returning({ id: sandboxCardTokens.id });
    if (taken.length === 0) throw invalidRequest('token_already_used', `You cannot use a token more than once: '${tokenId}'.`, 'token');
    const { id: _source, usedAt: _usedAt, usedByIdempotencyKey: _usedBy, createdAt: _createdAt, ...card } = token;
    const [saved] = await tx
      .insert(sandboxCardTokens)
      .values({ ...card, id: `card_${randomToken(24)}`, reusable: true, cardOnFile: true, sourceTokenId: token.id })
      .returning();
    if (!saved) throw new Error('card on file insert returned no row');
    return saved;
  });
}
