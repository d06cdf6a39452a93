import { useSyncExternalStore } from 'react';

const noSubscription = () => () => undefined;

/** false in the server render and the hydration pass, true once React runs in the browser. */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}
