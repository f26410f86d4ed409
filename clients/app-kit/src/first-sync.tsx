/** The first sync on a device: a progress bar until every table's snapshot is on the device. */
import { useSyncStatus } from '@niaga/sync/react';
import type { SyncClient } from '@niaga/sync';

export function FirstSyncScreen(props: { readonly client: SyncClient; readonly appTitle: string }) {
  const status = useSyncStatus(props.client);
  const { rows, bytes, shapes, shapesDone } = status.initialSync;
  return (
    <main className="first-sync">
      <h1>{props.appTitle}</h1>
      <p>Getting your data onto this device, so that everything works without a connection.</p>
      <progress max={Math.max(shapes, 1)} value={shapesDone} aria-label="First sync progress" />
      <p className="muted" data-testid="first-sync-figures">
        {shapesDone} of {shapes} tables · {rows.toLocaleString()} rows · {(bytes / 1024 / 1024).toFixed(1)} MB
      </p>
      {status.lastError && (
        <p role="alert" className="error">
          {status.lastError.message} (retrying)
        </p>
      )}
    </main>
  );
}
