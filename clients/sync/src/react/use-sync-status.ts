import { useCallback, useSyncExternalStore } from 'react';
import type { SyncClient } from '../sync-client.ts';
import type { SyncStatus } from '../sync-status.ts';

/** The client's sync status (online, phase, pending, last synced, errors), re-rendering on every change. */
export function useSyncStatus(client: Pick<SyncClient, 'status' | 'onStatus'>): SyncStatus {
  const subscribe = useCallback((onChange: () => void) => client.onStatus(onChange), [client]);
  // Each status is an immutable snapshot, replaced on change: the same object until then.
  const snapshot = useCallback(() => client.status, [client]);
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}
