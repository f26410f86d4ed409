export { openPgliteStore, pgliteParsers, type PgliteStoreOptions } from './pglite-store.ts';
export { emptyDatabase } from './empty-database.ts';
