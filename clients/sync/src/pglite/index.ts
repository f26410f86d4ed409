export { openPgliteStore, type PgliteStoreOptions } from './pglite-store.ts';
