/** React access to the one store and the command registry; components select narrow slices. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppState, AppStore } from '../src/store/store.js';
import type { CommandRegistry } from '../src/commands/registry.js';

export const StoreContext = createContext<AppStore | null>(null);
export const RegistryContext = createContext<CommandRegistry | null>(null);

export function useAppStore<T>(selector: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('StoreContext is missing');
  return useStore(store, selector);
}

export function useRegistry(): CommandRegistry {
  const registry = useContext(RegistryContext);
  if (!registry) throw new Error('RegistryContext is missing');
  return registry;
}
