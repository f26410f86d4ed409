export { deleteDexieStore, openDexieStore, type DexieStoreOptions } from './dexie-store.ts';
