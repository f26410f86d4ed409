/**
 * The bar every screen shows: online or offline, changes waiting to be sent, when the device last
 * synced, the last error, and the outcomes inbox (what the server decided differently).
 */
import type { MutationOutcomeRecord, SyncStatus } from '@niaga/sync';
import { useOutcomes, useSyncStatus } from '@niaga/sync/react';
import { useEffect, useState } from 'react';
import { useDevice } from './device.ts';
import { describeMutation, formatAge } from './format.ts';

/** Re-renders every `ms` so that ages ("5 min ago") stay true. */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** The browser's own idea of the network, which changes before any request fails. */
function useBrowserOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

export function connectionLabel(status: SyncStatus, browserOnline: boolean): 'online' | 'offline' | 'connecting' {
  if (!browserOnline) return 'offline';
  if (status.online) return 'online';
  return status.lastError ? 'offline' : 'connecting';
}

export function SyncBar(props: { readonly onLogin: () => void }) {
  const { client, store } = useDevice();
  const status = useSyncStatus(client);
  const browserOnline = useBrowserOnline();
  const outcomes = useOutcomes(store).data ?? [];
  const [inboxOpen, setInboxOpen] = useState(false);
  const now = useNow();
  const connection = connectionLabel(status, browserOnline);

  return (
    <>
      <div className={`sync-bar ${connection}`} role="status" aria-label="Sync status">
        <span className="connection" data-testid="connection">
          <span className="dot" aria-hidden="true" />
          {connection === 'online' ? 'Online' : connection === 'offline' ? 'Offline' : 'Connecting…'}
        </span>
        <span data-testid="pending">{status.pending === 0 ? 'All changes sent' : `${status.pending} change${status.pending === 1 ? '' : 's'} waiting to send`}</span>
        <span data-testid="last-synced">Synced {formatAge(status.lastSyncedAt, now)}</span>
        {status.needsLogin && (
          <button type="button" className="warn" onClick={props.onLogin}>
            Session ended: log in
          </button>
        )}
        {status.updateNeeded && <span className="warn">The server needs a newer app: reload when online</span>}
        <button type="button" className="inbox-button" aria-expanded={inboxOpen} onClick={() => setInboxOpen(!inboxOpen)}>
          Inbox{outcomes.length > 0 ? ` (${outcomes.length})` : ''}
        </button>
      </div>
      {status.lastError && connection !== 'offline' && (
        <p className="sync-error" role="alert">
          {status.lastError.message}
        </p>
      )}
      {inboxOpen && <OutcomesInbox outcomes={outcomes} onClose={() => setInboxOpen(false)} />}
    </>
  );
}

export function OutcomesInbox(props: { readonly outcomes: readonly MutationOutcomeRecord[]; readonly onClose: () => void }) {
  return (
    <section className="inbox" aria-label="Outcomes inbox">
      <header>
        <h2>Inbox</h2>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </header>
      {props.outcomes.length === 0 ? (
        <p className="muted">Nothing to see: the server accepted every change as it was.</p>
      ) : (
        <ul>
          {props.outcomes.map((outcome) => (
            <li key={outcome.id} className={`outcome ${outcome.status}`}>
              <strong>{describeMutation(outcome.name)}</strong> <span className={`badge ${outcome.status}`}>{outcome.status}</span>
              <p>{outcome.message || outcome.code}</p>
              <time dateTime={outcome.createdAt}>{new Date(outcome.createdAt).toLocaleString()}</time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
