import { normalizeError } from '@/lib/errors';
import { loadStorefront, storeMerchant, type Storefront } from '@/lib/store/storefront';

/** The storefront, or the reason it cannot be shown (e.g. STORE_SECRET_KEY unset). */
export async function loadStorefrontOrError(): Promise<{ store: Storefront; error: null } | { store: null; error: string }> {
  try {
    return { store: await loadStorefront(), error: null };
  } catch (err) {
    return { store: null, error: normalizeError(err).message };
  }
}

/** The store merchant's name for the header; a neutral name when the store is not set up. */
export async function storeName(): Promise<string> {
  try {
    return (await storeMerchant()).name;
  } catch {
    return 'Demo store';
  }
}
