/**
 * The frame of a field app: opens the device's database, starts syncing, asks for a login when
 * the device has none, shows the first sync's progress, then the app's screens under the sync bar.
 * Once someone has logged in, the app works offline for as long as it takes: an ended session only
 * stops syncing (the bar asks for a login), never the work.
 */
import type { Role } from '@niaga/protocol';
import { createSyncClient, localStorageJournal, LocalStoreError, type LocalStore, type SessionTokens, type SyncClient } from '@niaga/sync';
import { useSyncStatus } from '@niaga/sync/react';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { appBuild } from './app-build.ts';
import { DeviceContext, type Device } from './device.ts';
import { FirstSyncScreen } from './first-sync.tsx';
import { LoginScreen } from './login-screen.tsx';
import { SyncBar } from './sync-bar.tsx';
import { UpdatePrompt } from './update-prompt.tsx';

export interface FieldAppProps {
  readonly appTitle: string;
  readonly role: Role;
  /** The tables this app syncs (its role's). */
  readonly tables: readonly string[];
  readonly indexes?: Readonly<Record<string, readonly string[]>>;
  readonly openStore: () => Promise<LocalStore>;
  /** Deletes the device's database (a corrupt one, or to hand the device to someone else). */
  readonly deleteStore: () => Promise<void>;
  /** The app's navigation and screens, shown once the device has its data. */
  readonly children: ReactNode;
}

type Boot = { readonly kind: 'opening' } | { readonly kind: 'failed'; readonly error: unknown } | { readonly kind: 'open'; readonly client: SyncClient; readonly store: LocalStore };

/** Unsent mutations kept outside the database too (one per app), so deleting a corrupt database loses none. */
const journal = localStorageJournal(`niaga-unsent:${import.meta.env.BASE_URL}`);

export function FieldApp(props: FieldAppProps) {
  const [boot, setBoot] = useState<Boot>({ kind: 'opening' });
  const { openStore, tables, indexes } = props;

  useEffect(() => {
    let cancelled = false;
    let opened: { client?: SyncClient; store?: LocalStore } = {};
    // Offline for days: ask the browser not to evict the database under storage pressure.
    void navigator.storage?.persist?.().catch(() => false);
    (async () => {
      const store = await openStore();
      opened = { store };
      const client = await createSyncClient({ serverURL: window.location.origin, store, tables, journal, ...(indexes ? { indexes } : {}) });
      opened = { store, client };
      if (cancelled) return;
      setBoot({ kind: 'open', client, store });
    })().catch((error: unknown) => {
      if (!cancelled) setBoot({ kind: 'failed', error });
    });
    return () => {
      cancelled = true;
      void (async () => {
        await opened.client?.stop();
        await opened.store?.close();
      })();
    };
  }, [openStore, tables, indexes]);

  /** Deletes the device's database; the unsent work too, unless it is kept for the new one (a corrupt database). */
  const reset = async (keepUnsent: boolean) => {
    if (boot.kind === 'open') {
      await boot.client.stop();
      await boot.store.close();
    }
    if (!keepUnsent) journal.write(undefined);
    await props.deleteStore();
    window.location.reload();
  };

  if (boot.kind === 'opening') return <main className="first-sync">Opening {props.appTitle}…</main>;
  if (boot.kind === 'failed') return <StoreFailure error={boot.error} onReset={() => void reset(true)} />;
  return <OpenApp {...props} client={boot.client} store={boot.store} onReset={() => void reset(false)} />;
}

function OpenApp(props: FieldAppProps & { readonly client: SyncClient; readonly store: LocalStore; readonly onReset: () => void }) {
  const { client, store } = props;
  const status = useSyncStatus(client);
  const [relogin, setRelogin] = useState(false);
  const actor = client.actor();
  const firstSyncDone = status.initialSync.done;
  useEffect(() => {
    // For people and benchmarks watching the console: what the first sync brought.
    if (firstSyncDone && client.status.initialSync.rows > 0) {
      const { rows, bytes } = client.status.initialSync;
      console.info(`[niaga] first sync: ${rows} rows, ${bytes} bytes`);
    }
  }, [firstSyncDone, client]);
  const device = useMemo<Device | undefined>(() => (actor ? { client, store, actor } : undefined), [client, store, actor]);
  const login = async (tokens: SessionTokens) => {
    await client.login(tokens);
    setRelogin(false);
  };

  if (status.revoked) return <DeviceRevoked appTitle={props.appTitle} onReset={props.onReset} />;
  if (!device) return <LoginScreen appTitle={props.appTitle} role={props.role} login={login} onReset={props.onReset} />;
  if (!status.initialSync.done) return <FirstSyncScreen client={client} appTitle={props.appTitle} />;
  return (
    <DeviceContext.Provider value={device}>
      <SyncBar onLogin={() => setRelogin(true)} />
      {relogin && status.needsLogin ? (
        <LoginScreen appTitle={props.appTitle} role={props.role} login={login} onReset={props.onReset} notice="Your session ended. Log in again to sync; nothing on this device is lost." />
      ) : (
        props.children
      )}
      <footer className="app-build">
        {props.appTitle} · build {appBuild}
      </footer>
      <UpdatePrompt />
    </DeviceContext.Provider>
  );
}

/** An administrator revoked this device (or disabled the account): the sync client has deleted its data. */
function DeviceRevoked(props: { readonly appTitle: string; readonly onReset: () => void }) {
  return (
    <main className="first-sync" role="alert">
      <h1>This device no longer has access to {props.appTitle}</h1>
      <p>An administrator revoked this device, or your account was disabled. The data it had synced and any changes it had not sent were deleted from it.</p>
      <button type="button" onClick={props.onReset}>
        Log in again
      </button>
    </main>
  );
}

function StoreFailure(props: { readonly error: unknown; readonly onReset: () => void }) {
  const corrupt = props.error instanceof LocalStoreError && props.error.code === 'STORE_CORRUPT';
  const quota = props.error instanceof LocalStoreError && props.error.code === 'STORE_QUOTA';
  const elsewhere = props.error instanceof LocalStoreError && props.error.code === 'STORE_IN_USE';
  return (
    <main className="first-sync" role="alert">
      <h1>{elsewhere ? 'The app is open in another tab' : "The app's database could not be opened"}</h1>
      <p>{props.error instanceof Error ? props.error.message : String(props.error)}</p>
      {quota && <p>This device is out of storage: free some space (other sites' data, downloads) and reload.</p>}
      {corrupt && <p>The database on this device is damaged. Resetting deletes it and downloads your data again; changes not yet sent are kept and sent once you log in.</p>}
      <button type="button" onClick={() => window.location.reload()}>
        Try again
      </button>
      {!elsewhere && (
        <button type="button" className="danger" onClick={props.onReset}>
          Reset this device
        </button>
      )}
    </main>
  );
}
