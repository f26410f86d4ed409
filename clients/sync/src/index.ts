export { createSyncClient, type MutationReceipt, type SyncClient, type SyncClientOptions } from './sync-client.ts';
export { readOutcomes, RESULTS_TABLE, type MutationOutcomeRecord } from './outcomes.ts';
export { initialStatus, type StatusListener, type SyncError, type SyncStatus } from './sync-status.ts';
export { DeviceRevokedError, DifferentUserError, SessionExpiredError, type SessionTokens } from './session.ts';
export { LocalStoreError, type ColumnSpec, type LocalRow, type LocalStore, type PendingMutation, type StoreTx, type TableSpec, type UndoEntry } from './local-store.ts';
export { TransactionAligner, type Commit, type ShapeCursor } from './transaction-aligner.ts';
export { CLIENTS_TABLE } from './rebase.ts';
export { localStorageJournal, memoryJournal, type JournalRecord, type QueueJournal } from './queue-journal.ts';
