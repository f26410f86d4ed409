/** What every screen of a field app works with: the sync client, its local store and who is logged in. */
import type { Actor } from '@niaga/mutators';
import type { LocalStore, SyncClient } from '@niaga/sync';
import { createContext, useContext } from 'react';

export interface Device {
  readonly client: SyncClient;
  readonly store: LocalStore;
  readonly actor: Actor;
}

export const DeviceContext = createContext<Device | null>(null);

export function useDevice(): Device {
  const device = useContext(DeviceContext);
  if (!device) throw new Error('useDevice() needs a <FieldApp> around it');
  return device;
}
