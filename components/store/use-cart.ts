'use client';

import { useCallback, useSyncExternalStore } from 'react';
import { randomId } from '@/components/random-id';
import { parseCart, type Cart } from './cart';

const STORAGE_KEY = 'paykit.store.cart.v1';
const CHANGE_EVENT = 'paykit-cart-change';

function subscribe(onChange: () => void): () => void {
  // "storage" fires for changes made in other tabs; our own writes dispatch CHANGE_EVENT.
  window.addEventListener('storage', onChange);
  window.addEventListener(CHANGE_EVENT, onChange);
  return () => {
    window.removeEventListener('storage', onChange);
    window.removeEventListener(CHANGE_EVENT, onChange);
  };
}

let lastRaw: string | null | undefined;
let lastCart: Cart | null = null;

function readCart(): Cart | null {
  const raw = window.localStorage.getItem(STORAGE_KEY);
  // useSyncExternalStore needs the same object back while nothing changed.
  if (raw !== lastRaw) {
    lastRaw = raw;
    lastCart = parseCart(raw);
  }
  return lastCart;
}

function writeCart(cart: Cart | null): void {
  if (cart) window.localStorage.setItem(STORAGE_KEY, JSON.stringify(cart));
  else window.localStorage.removeItem(STORAGE_KEY);
  window.dispatchEvent(new Event(CHANGE_EVENT));
}

export function emptyCart(): Cart {
  return { id: randomId('cart'), items: [] };
}

export interface UseCart {
  /** undefined until the browser's storage has been read (during server rendering and hydration). */
  cart: Cart | null | undefined;
  update(change: (cart: Cart) => Cart): void;
  clear(): void;
}

/** The cart in localStorage, shared live by every component (and tab) that uses it. */
export function useCart(): UseCart {
  const cart = useSyncExternalStore<Cart | null | undefined>(subscribe, readCart, () => undefined);
  const update = useCallback((change: (cart: Cart) => Cart) => {
    writeCart(change(readCart() ?? emptyCart()));
  }, []);
  const clear = useCallback(() => writeCart(null), []);
  return { cart, update, clear };
}
