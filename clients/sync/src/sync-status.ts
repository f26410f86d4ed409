/** What the app shows in its sync bar: one immutable snapshot, replaced on every change. */
export interface SyncError {
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

export interface SyncStatus {
  /** The server answered the last request (a network failure makes it false). */
  readonly online: boolean;
  /** Until the first full sync has committed, the app has no data to show. */
  readonly phase: 'starting' | 'initial-sync' | 'live' | 'stopped';
  /**
   * The initial sync's progress: rows and bytes received, and how many of the synced tables have
   * their whole snapshot (`shapesDone / shapes` is an honest fraction for a progress bar).
   */
  readonly initialSync: { readonly rows: number; readonly bytes: number; readonly shapes: number; readonly shapesDone: number; readonly done: boolean };
  /** Mutations made on this device the server has not confirmed yet. */
  readonly pending: number;
  /** When a server change last landed in the local store (ISO). */
  readonly lastSyncedAt: string | null;
  readonly lastError: SyncError | null;
  /** The session ended: the app should ask for a login (pending mutations are kept). */
  readonly needsLogin: boolean;
  /**
   * An administrator revoked this device (or disabled the account): the client has stopped and
   * deleted what the device synced and had not sent. Start a new client to log in again.
   */
  readonly revoked: boolean;
  /** The server refuses this app's protocol version: the app should update. */
  readonly updateNeeded: boolean;
}

export const initialStatus: SyncStatus = {
  online: false,
  phase: 'starting',
  initialSync: { rows: 0, bytes: 0, shapes: 0, shapesDone: 0, done: false },
  pending: 0,
  lastSyncedAt: null,
  lastError: null,
  needsLogin: false,
  revoked: false,
  updateNeeded: false,
};

export type StatusListener = (status: SyncStatus) => void;

export class StatusHolder {
  private status: SyncStatus = initialStatus;
  private readonly listeners = new Set<StatusListener>();

  get current(): SyncStatus {
    return this.status;
  }

  update(change: Partial<SyncStatus>): void {
    const next = { ...this.status, ...change };
    if (Object.entries(change).every(([key, value]) => Object.is(this.status[key as keyof SyncStatus], value))) return;
    this.status = next;
    for (const listener of [...this.listeners]) listener(next);
  }

  /** The server answered: online again, and an OFFLINE error ("cannot be reached") is over. */
  reachable(change: Partial<SyncStatus> = {}): void {
    const cleared = this.status.lastError?.code === 'OFFLINE' ? { lastError: null } : {};
    this.update({ online: true, ...cleared, ...change });
  }

  error(code: string, message: string): void {
    this.update({ lastError: { code, message, at: new Date().toISOString() } });
  }

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
