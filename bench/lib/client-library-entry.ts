/** What the client benchmarks use of the client library (bundled by client-library.ts, or imported from source). */
export { createSyncClient } from '@niaga/sync';
export { emptyDatabase, openPgliteStore } from '@niaga/sync/pglite';
export { openDexieStore } from '@niaga/sync/dexie';
export { applyCommit, CLIENTS_TABLE } from '../../clients/sync/src/rebase.ts';
export { runOnDevice } from '../../clients/sync/src/device-mutation.ts';
