/** The browser-side cart: pure helpers shared by the cart components (no React, no storage). */

export interface CartItem {
  productId: string;
  quantity: number;
}

export interface Cart {
  /** Stable for the life of the cart; the server derives the order's idempotency key from it. */
  id: string;
  items: CartItem[];
}

/** What the cart shows about a product; prices here are for display only, the server re-prices. */
export interface CartProduct {
  id: string;
  name: string;
  unitAmount: number;
  currency: string;
  image: string;
}

export const MAX_QUANTITY = 20;

export function itemCount(cart: Cart | null): number {
  return cart ? cart.items.reduce((n, i) => n + i.quantity, 0) : 0;
}

export function addItem(cart: Cart, productId: string, quantity = 1): Cart {
  const existing = cart.items.find((i) => i.productId === productId);
  const items = existing
    ? cart.items.map((i) => (i.productId === productId ? { ...i, quantity: Math.min(MAX_QUANTITY, i.quantity + quantity) } : i))
    : [...cart.items, { productId, quantity: Math.min(MAX_QUANTITY, quantity) }];
  return { ...cart, items };
}

export function setQuantity(cart: Cart, productId: string, quantity: number): Cart {
  if (quantity <= 0) return removeItem(cart, productId);
  return {
    ...cart,
    items: cart.items.map((i) => (i.productId === productId ? { ...i, quantity: Math.min(MAX_QUANTITY, quantity) } : i)),
  };
}

export function removeItem(cart: Cart, productId: string): Cart {
  return { ...cart, items: cart.items.filter((i) => i.productId !== productId) };
}

export interface CartLine {
  product: CartProduct;
  quantity: number;
  lineTotal: number;
}

/** Joins the cart with the catalogue; items no longer sold are returned apart so the UI can say so. */
export function cartLines(cart: Cart, products: readonly CartProduct[]): { lines: CartLine[]; unavailable: string[] } {
  const byId = new Map(products.map((p) => [p.id, p]));
  const lines: CartLine[] = [];
  const unavailable: string[] = [];
  for (const item of cart.items) {
    const product = byId.get(item.productId);
    if (product) lines.push({ product, quantity: item.quantity, lineTotal: product.unitAmount * item.quantity });
    else unavailable.push(item.productId);
  }
  return { lines, unavailable };
}

export function parseCart(raw: string | null): Cart | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (!value || typeof value !== 'object') return null;
    const { id, items } = value as { id?: unknown; items?: unknown };
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(id) || !Array.isArray(items)) return null;
    const clean = items.filter(
      (i): i is CartItem =>
        !!i &&
        typeof i === 'object' &&
        typeof (i as CartItem).productId === 'string' &&
        Number.isInteger((i as CartItem).quantity) &&
        (i as CartItem).quantity > 0,
    );
    return { id, items: clean.map((i) => ({ productId: i.productId, quantity: Math.min(MAX_QUANTITY, i.quantity) })) };
  } catch {
    return null;
  }
}
