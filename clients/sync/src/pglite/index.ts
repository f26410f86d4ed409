export { openPgliteStore, type PgliteStoreOptions } from './pglite-store.ts';
export { emptyDatabase } from './empty-database.ts';
