export { openDexieStore, type DexieStoreOptions } from './dexie-store.ts';
