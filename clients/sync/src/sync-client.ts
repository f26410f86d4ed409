/**
 * `createSyncClient`: the device side of Niaga sync. It streams the role's tables into the local
 * store (whole server transactions per local commit), runs mutators optimistically into a durable
 * queue, pushes them, and rebases pending mutations on every server commit.
 */
import { Alarm, backoffDelay, type BackoffPolicy } from '@niaga/protocol';
import type { Actor, MutationPolicy } from '@niaga/mutators';
import { runOnDevice } from './device-mutation.ts';
import { LocalStoreError, localStoreErrorCodes, type ColumnSpec, type LocalStore, type PendingMutation, type StoreTx, type TableSpec } from './local-store.ts';
import type { QueueJournal } from './queue-journal.ts';
import { PushLoop, type PushResult } from './push-loop.ts';
import { applyCommit, CLIENTS_TABLE, metaKeys, type RebaseResult } from './rebase.ts';
import { DeviceRevokedError, Session, SESSION_META_KEY, SessionExpiredError, type SessionTokens } from './session.ts';
import { startShapeTransport, type ShapeTransport } from './shape-transport.ts';
import { StatusHolder, type StatusListener, type SyncStatus } from './sync-status.ts';
import { outcomeOf, readOutcomes, RESULTS_TABLE, type MutationOutcomeRecord } from './outcomes.ts';
import { defaultLeaderLock, tabChannel, type LeaderLock } from './leader-lock.ts';
import { TransactionAligner, type ShapeCursor, type ShapeMessage } from './transaction-aligner.ts';

export interface SyncClientOptions {
  /** Where the sync server is, e.g. `https://niaga.example.com` (no trailing slash). */
  readonly serverURL: string;
  readonly store: LocalStore;
  /** The tables this app syncs (its role's); `sync.clients` and `sync.mutation_results` are added. */
  readonly tables: readonly string[];
  /** A fresh login; without it the session saved in the store is used. */
  readonly session?: SessionTokens;
  /** Live updates over Server-Sent Events (one stream per table) instead of long-polls. */
  readonly liveSse?: boolean;
  /**
   * Long-polls wait on the device for the server's poke stream (one connection) instead of each
   * holding a connection at the server (default true; browsers allow 6 per origin over HTTP/1.1).
   * false: one long-poll per table (fine over HTTP/2).
   */
  readonly livePokes?: boolean;
  readonly fetch?: typeof fetch;
  readonly pushBackoff?: BackoffPolicy;
  readonly policy?: MutationPolicy;
  /** Leadership among tabs sharing the store (default: a Web Lock where there is one, else always the leader). */
  readonly leader?: LeaderLock;
  /** Indexes for local queries, per table (used by stores that need them declared, e.g. Dexie). */
  readonly indexes?: Readonly<Record<string, readonly string[]>>;
  /**
   * A copy of the unsent mutations outside the store (e.g. `localStorageJournal(…)`): a new, empty
   * store takes them over, so deleting a corrupt database loses no unsent work.
   */
  readonly journal?: QueueJournal;
}

export interface MutationReceipt {
  readonly clientID: string;
  readonly id: number;
}

export interface SyncClient {
  readonly clientID: string;
  readonly status: SyncStatus;
  onStatus(listener: StatusListener): () => void;
  /** Resolves once the first full sync has committed (at once on a device that has synced before). */
  ready(): Promise<void>;
  /**
   * Runs mutator `name` on the device and queues it for the server, in one local transaction:
   * when this resolves the mutation is durable. A rejection the device can already see throws
   * (MutationRejected) and queues nothing.
   */
  mutate(name: string, args: unknown): Promise<MutationReceipt>;
  /** The outcomes inbox: mutations the server rejected, backordered or adjusted, newest first. */
  outcomes(): Promise<MutationOutcomeRecord[]>;
  /** Called with each outcome as it arrives from the server. */
  onOutcome(listener: (outcome: MutationOutcomeRecord) => void): () => void;
  /** Who the device acts as: the last login's user, kept after the session ends; undefined before any login. */
  actor(): Actor | undefined;
  /** Log in again after `status.needsLogin` (not after `status.revoked`); syncing and pushing resume. */
  login(tokens: SessionTokens): Promise<void>;
  /** Push now. */
  pushNow(): void;
  /**
   * The network is back: reconnect the streams and push now rather than at the end of their
   * backoff. Called on the browser's `online` event by itself; call it on other hints.
   */
  reconnect(): void;
  stop(): Promise<void>;
}

/** The window's events in a browser; nothing in Node. */
const windowEvents = globalThis as { addEventListener?: (type: 'online', listener: () => void) => void; removeEventListener?: (type: 'online', listener: () => void) => void };

/** How long a shape may stay quiet before it is asked (pglite-sync waits 100 ms). */
const NUDGE_MS = 30;
/** How long batches may gather into one commit while mutations are pending. */
const COALESCE_MS = 40;
const defaultBackoff: BackoffPolicy = { initialMs: 500, maxMs: 60_000 };
/** Status codes of a local store that failed (LocalStoreError's, and a commit that failed otherwise). */
const storeErrorCodes: ReadonlySet<string | undefined> = new Set(['APPLY_FAILED', ...localStoreErrorCodes]);
const identityKeys = { clientID: 'sync:clientID', clientGroupID: 'sync:clientGroupID', lastMutationID: 'sync:lastMutationID' } as const;

export async function createSyncClient(options: SyncClientOptions): Promise<SyncClient> {
  const { store } = options;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const tables = [...new Set([...options.tables, CLIENTS_TABLE, RESULTS_TABLE])];
  const status = new StatusHolder();
  const { journal } = options;
  if (journal) await restoreFromJournal(store, journal);
  const session = await Session.load(
    {
      serverURL: options.serverURL,
      store,
      fetch: doFetch,
      onEnded: (error) => {
        status.update({ needsLogin: true });
        if (error instanceof DeviceRevokedError) void forgetDevice(error);
      },
    },
    options.session,
  );
  const { clientID, clientGroupID, pending, lastSyncedAt } = await store.transaction(async (tx) => ({
    clientID: await ensureID(tx, identityKeys.clientID),
    clientGroupID: await ensureID(tx, identityKeys.clientGroupID),
    pending: (await tx.listPending()).length,
    lastSyncedAt: (await tx.getMeta<string>(metaKeys.lastSyncedAt)) ?? null,
  }));
  /** The store's tables, as it has them. */
  const known = new Map<string, TableSpec>();
  /** Where each shape's last local commit got to. */
  const cursors = new Map<string, ShapeCursor>();
  let aligner!: TransactionAligner;
  /**
   * Set when a commit could not be written (a full disk, a closed database): the aligner has let
   * that commit go, so neither it nor the streams match the store any more, and nothing more is
   * committed from them. The streams start again from what the store holds (resumeFromStore).
   */
  let alignerVoid = false;
  async function loadKnownTables(): Promise<void> {
    const specs = await store.tables();
    known.clear();
    for (const spec of specs) known.set(spec.name, spec);
  }
  /**
   * Picks up where the store's last commit left off: its cursors, and an aligner that continues
   * from it. At start, and again whenever the streams start (this tab taking over from another
   * tab's leader, a new login), so that what another tab committed meanwhile, or what was
   * buffered here but never committed, cannot put the streams and the aligner out of step.
   */
  async function resumeFromStore(): Promise<void> {
    const saved = await store.transaction(async (tx) => ({
      lsn: BigInt((await tx.getMeta<string>(metaKeys.lsn)) ?? '0'),
      cursors: await Promise.all(tables.map((table) => tx.getMeta<ShapeCursor>(metaKeys.cursor(table)))),
    }));
    await loadKnownTables();
    cursors.clear();
    // A cursor with an offset but no handle cannot be resumed from (the official client refuses
    // it); should one ever be saved, every table syncs again from scratch, as after a first sync
    // cut off midway (the aligner cannot start one shape over beside others that resume).
    const resumable = saved.cursors.every((cursor) => !cursor || cursor.handle !== '' || cursor.offset === '-1');
    tables.forEach((table, index) => {
      const cursor = saved.cursors[index];
      if (resumable && cursor && known.has(table)) cursors.set(table, cursor);
    });
    // A local table without a cursor holds rows of a first sync that did not finish.
    const leftovers = new Set(tables.filter((table) => known.has(table) && !cursors.has(table)));
    aligner = new TransactionAligner(tables, { lsn: saved.lsn, shapes: new Set(cursors.keys()), leftovers });
    alignerVoid = false;
  }
  await resumeFromStore();
  const alreadySynced = cursors.size === tables.length;
  status.update({ pending, lastSyncedAt, phase: alreadySynced ? 'live' : 'initial-sync', initialSync: { rows: 0, bytes: 0, shapes: tables.length, shapesDone: alreadySynced ? tables.length : cursors.size, done: alreadySynced }, needsLogin: !session.loggedIn });

  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));
  if (alreadySynced) readyResolve();
  /** The first sync is in the store (this tab's first commit, or another tab's). */
  const firstSyncDone = () => {
    if (!status.current.initialSync.done) status.update({ phase: 'live', initialSync: { ...status.current.initialSync, shapesDone: tables.length, done: true } });
    readyResolve();
  };

  /** Set once the device is known to be revoked: its deletion, running or done. */
  let forgetting: Promise<void> | undefined;
  const schemas = new Map<string, readonly ColumnSpec[]>();
  const outcomeListeners = new Set<(outcome: MutationOutcomeRecord) => void>();
  let work: Promise<unknown> = Promise.resolve();
  /** Commits and mutations one at a time, in order. */
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = work.then(task);
    work = next.catch(() => undefined);
    return next;
  };
  /** The journal follows the queue (after each mutation, and each commit that confirmed some). */
  const writeJournal = (unsent: readonly PendingMutation[], lastMutationID?: number) => {
    const actor = session.knownActor;
    if (!journal || !actor) return;
    const mutations = unsent.map(({ id, clientID: client, name, args, createdAt }) => ({ id, clientID: client, name, args, createdAt }));
    const last = lastMutationID ?? journal.read()?.lastMutationID ?? Math.max(0, ...mutations.map((mutation) => mutation.id));
    journal.write(mutations.length === 0 ? undefined : { clientGroupID, clientID, lastMutationID: last, actor, mutations });
  };
  /** How mutators run on this device: as the session's user, over the tables it has. */
  const deviceContext = () => ({ actor: session.actor(), localTables: new Set(known.keys()), ...(options.policy ? { policy: options.policy } : {}) });

  /** Creates (or widens) the local tables of `names` whose columns the server gave and the store lacks. */
  async function ensureLocalTables(names: Iterable<string>): Promise<void> {
    const specs = [...new Set(names)]
      .filter((table) => schemas.has(table) && !sameColumns(known.get(table), schemas.get(table)!))
      .map((table): TableSpec => ({ name: table, columns: schemas.get(table)!, indexes: options.indexes?.[table] ?? [] }));
    if (specs.length === 0) return;
    await store.ensureTables(specs);
    for (const spec of specs) known.set(spec.name, spec);
  }

  async function commitReady(): Promise<void> {
    // A stopped client writes nothing more; a revoked device neither (its data is being deleted).
    for (let commit = aligner.takeCommit(); commit && !stopped && !forgetting && !alignerVoid; commit = aligner.takeCommit()) {
      const current = commit;
      let committed: { result: RebaseResult; unsent: PendingMutation[] | undefined };
      try {
        await ensureLocalTables([...current.changes.map((change) => change.shape), ...current.refetched, ...(current.initial ? tables.filter((table) => !known.has(table)) : [])]);
        committed = await store.transaction(async (tx) => {
          const applied: RebaseResult = await applyCommit(tx, current, { ...deviceContext(), clientID, tableOf: (shape) => shape }, new Date().toISOString());
          return { result: applied, unsent: journal && applied.confirmed > 0 ? await tx.listPending() : undefined };
        });
      } catch (error) {
        restartFromStore();
        throw error;
      }
      storeWritten();
      // The first commit of a sync started again because the server's log was behind: it is over.
      if (current.initial && status.current.lastError?.code === 'LOG_BEHIND') status.update({ lastError: null });
      const { result, unsent } = committed;
      if (unsent) writeJournal(unsent);
      for (const change of current.changes) {
        const outcome = change.shape === RESULTS_TABLE && change.operation !== 'delete' ? outcomeOf(change.row) : undefined;
        if (outcome) for (const listener of [...outcomeListeners]) listener(outcome);
      }
      const now = new Date().toISOString();
      status.update({ pending: result.pending, ...(current.changes.length > 0 || current.initial ? { lastSyncedAt: now } : {}) });
      if (current.initial) firstSyncDone();
    }
  }

  /**
   * A first sync writes each table's snapshot rows as they arrive, while the rest downloads,
   * instead of holding them all for the first commit. Only with nothing pending (no mutation's
   * effects to undo and replay around them), and not the library's own tables, whose rows the
   * first commit reads (confirmations, outcomes).
   */
  async function writeSnapshotRows(table: string): Promise<void> {
    if (table === CLIENTS_TABLE || table === RESULTS_TABLE) return;
    await serial(async () => {
      if (stopped || forgetting || alignerVoid || !schemas.has(table)) return;
      const early = aligner.snapshotRowsToWrite(table);
      if (!early) return;
      // Every table whose columns are known by now, at once (Dexie changes its schema by a version upgrade).
      await ensureLocalTables(tables);
      const written = await store.transaction(async (tx) => {
        // Decided in the write's own transaction: a mutation queued by any tab ran over the rows written so far.
        if ((await tx.listPending()).length > 0) return false;
        if (early.clearFirst) await tx.clear(table);
        await tx.putMany(table, early.rows);
        return true;
      });
      if (written) early.written();
    });
  }

  /** Commits in a row the store refused: each restart of the streams waits longer. */
  let storeFailures = 0;
  function restartFromStore(): void {
    alignerVoid = true;
    stopTransport();
    const generation = transports;
    storeFailures++;
    void retryWait
      .sleep(backoffDelay(options.pushBackoff ?? defaultBackoff, storeFailures))
      .then(() => (stopped || forgetting || generation !== transports || !leader.isLeader() || !session.loggedIn ? undefined : startTransport()))
      .catch(reportApplyError);
  }
  /**
   * The server's log is behind what this device committed (aligner event `log-behind`): its later
   * changes would be taken for replays. The saved cursors and LSN go (rows and pending mutations
   * stay) and the streams start again, as after a first sync cut off midway: every table's new
   * snapshot replaces its rows.
   */
  async function syncAgainFromScratch(why: string): Promise<void> {
    status.error('LOG_BEHIND', why);
    alignerVoid = true;
    stopTransport();
    try {
      await serial(() =>
        store.transaction(async (tx) => {
          for (const table of tables) await tx.setMeta(metaKeys.cursor(table), undefined);
          await tx.setMeta(metaKeys.lsn, undefined);
        }),
      );
    } catch (error) {
      reportApplyError(error);
      return restartFromStore();
    }
    if (!stopped && !forgetting) void startTransport().catch(reportApplyError);
  }
  /** The store took a write: a store error shown is over. */
  const storeWritten = () => {
    storeFailures = 0;
    if (storeErrorCodes.has(status.current.lastError?.code)) status.update({ lastError: null });
  };

  /** Tables whose stream met a retried server error (busy, 5xx, not the protocol) and that have had nothing since. */
  const troubledTables = new Set<string>();
  const retriedCodes: ReadonlySet<string | undefined> = new Set(['SERVER_BUSY', 'SERVER_ERROR', 'BAD_RESPONSE']);

  async function onBatch(table: string, messages: readonly ShapeMessage[], cursor: ShapeCursor): Promise<void> {
    // Every table that met one answers again: the error shown is over.
    if (troubledTables.delete(table) && troubledTables.size === 0 && retriedCodes.has(status.current.lastError?.code)) status.update({ lastError: null });
    try {
      const behind = aligner.receive(table, messages, cursor).find((event) => event.type === 'log-behind');
      if (behind) return syncAgainFromScratch(`The sync server's log is at ${behind.serverLsn}, behind the ${behind.committedLsn} this device has (its database was restored or replaced): every table syncs again`);
      if (!status.current.initialSync.done) {
        // Counted as they arrive (the aligner's buffer empties at each commit).
        const rows = status.current.initialSync.rows + messages.filter((message) => message.value !== undefined).length;
        status.update({ initialSync: { ...status.current.initialSync, rows, shapesDone: aligner.completeShapes() } });
        await writeSnapshotRows(table);
      }
      if (status.current.pending === 0) await serial(commitReady);
      else commitSoon();
      scheduleNudge();
    } catch (error) {
      reportApplyError(error);
    }
  }

  const reportApplyError = (error: unknown) => status.error(codeOf(error, 'APPLY_FAILED'), `Could not apply server changes to the local store: ${messageOf(error)}`);
  let commitTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * With mutations pending, each commit may replay them: batches arriving close together (a
   * catch-up after reconnecting) go into one commit instead of one each.
   */
  const commitSoon = () => {
    commitTimer ??= setTimeout(() => {
      commitTimer = undefined;
      serial(commitReady).catch(reportApplyError);
    }, COALESCE_MS);
  };

  let transport: ShapeTransport | undefined;
  let nudge: ReturnType<typeof setTimeout> | undefined;
  /** Soon after a change arrives, ask the quiet shapes to confirm they have nothing of its transaction. */
  const scheduleNudge = () => {
    if (nudge || aligner.laggingShapes().length === 0) return;
    nudge = setTimeout(() => {
      nudge = undefined;
      transport?.refresh(aligner.laggingShapes());
    }, NUDGE_MS);
  };
  /** Counts the transports started and stopped: batches of one no longer current are ignored. */
  let transports = 0;
  const stopTransport = () => {
    transports++;
    transport?.stop();
    transport = undefined;
  };
  /** Wakes a retry's wait when the client stops. */
  const retryWait = new Alarm();
  const startTransport = async () => {
    stopTransport();
    const generation = transports;
    const stillWanted = () => !stopped && !forgetting && generation === transports;
    // The streams start from what the store holds; if it cannot be read (a blocked upgrade, a full
    // disk), they start once it can.
    for (let attempt = 1; ; attempt++) {
      try {
        await serial(resumeFromStore);
        break;
      } catch (error) {
        reportApplyError(error);
        if (!stillWanted()) return;
        await retryWait.sleep(backoffDelay(options.pushBackoff ?? defaultBackoff, attempt));
        if (!stillWanted()) return;
      }
    }
    if (!stillWanted()) return;
    // Another tab may have finished the first sync before this one took over.
    if (cursors.size === tables.length) firstSyncDone();
    transport = startShapeTransport({
      serverURL: options.serverURL,
      tables,
      session,
      fetch: doFetch,
      liveSse: options.liveSse ?? false,
      livePokes: options.livePokes ?? true,
      cursors: new Map(cursors),
      onBatch: (table, messages, cursor) => (generation === transports ? onBatch(table, messages, cursor) : Promise.resolve()),
      onSchema: (table, columns) => schemas.set(table, columns),
      onResponse: (bytes) => {
        const wasOffline = !status.current.online;
        status.reachable(status.current.initialSync.done ? {} : { initialSync: { ...status.current.initialSync, bytes: status.current.initialSync.bytes + bytes } });
        if (wasOffline) pushLoop.wake();
      },
      onTransientError: (code, error, table) => {
        if (code === 'OFFLINE') {
          status.update({ online: false });
          status.error(code, `The sync server cannot be reached: ${messageOf(error)}`);
        } else if (code === 'SERVER_BUSY') {
          // Shown until every table it held back answers; an error that needs the user stays shown.
          if (table) troubledTables.add(table);
          const shown = status.current.lastError?.code;
          if (shown === undefined || shown === 'SERVER_BUSY' || shown === 'OFFLINE') status.error(code, `The sync server is busy: ${messageOf(error)}`);
        } else {
          if (table) troubledTables.add(table);
          status.error(code, `The sync server answered something unexpected (retrying): ${messageOf(error)}`);
        }
      },
      onFatal: (table, error) => {
        if (error instanceof SessionExpiredError) status.update({ needsLogin: true });
        status.error(codeOf(error, 'SYNC_REFUSED'), `Syncing ${table} stopped: ${messageOf(error)}`);
      },
    });
  };

  /** The code of the last push failure shown: a push that then succeeds clears it. */
  let pushFailure: string | undefined;
  const onPush = (result: PushResult) => {
    switch (result.kind) {
      case 'pushed':
        status.reachable({
          ...(pushFailure !== undefined && status.current.lastError?.code === pushFailure ? { lastError: null } : {}),
          // A push refused as logged out, then accepted with the same session: no login is needed after all.
          ...(pushFailure === 'SESSION_EXPIRED' && session.loggedIn ? { needsLogin: false } : {}),
        });
        pushFailure = undefined;
        return;
      case 'offline':
        status.update({ online: false });
        return status.error('OFFLINE', `Pending changes wait for the network: ${messageOf(result.error)}`);
      case 'failed':
        pushFailure = result.code;
        return status.error(result.code, result.message);
      case 'session-expired':
        pushFailure = result.error.code;
        status.update({ needsLogin: true });
        return status.error(result.error.code, result.error.message);
      case 'update-needed':
        status.update({ updateNeeded: true });
        return status.error('UPDATE_NEEDED', result.message);
    }
  };
  const pushLoop = new PushLoop({ serverURL: options.serverURL, clientGroupID, store, session, fetch: doFetch, backoff: options.pushBackoff ?? defaultBackoff, onResult: onPush });
  function reconnect(): void {
    if (stopped || !leader.isLeader()) return;
    transport?.reconnect();
    // Streams waiting to start again from the store (a write or a read of it failed) try now.
    retryWait.wake(false);
    pushLoop.wake();
  }
  // Browsers say when the network is back (Node has no such event).
  windowEvents.addEventListener?.('online', reconnect);

  // Tabs sharing this database: only the leader streams and pushes; the others follow the store.
  const leader = options.leader ?? defaultLeaderLock(`niaga-sync:${clientGroupID}`);
  const tabs = tabChannel(`niaga-sync:${clientGroupID}`);
  const stopTabs = tabs.subscribe((message) => {
    if (message === 'revoked') status.update({ revoked: true, needsLogin: true, pending: 0, lastSyncedAt: null, phase: 'stopped' });
    else pushLoop.wake();
  });
  let stopped = false;
  const lead = () => {
    if (!session.loggedIn) return;
    void leader.whenLeader().then(() => {
      if (stopped || !session.loggedIn) return;
      void startTransport().catch(reportApplyError);
      pushLoop.start();
    });
  };
  // A follower learns from the store what the leader committed: its queue, the first sync, and
  // the tables the leader created (its mutations read and write only those).
  const stopFollowing = store.subscribe(() => {
    if (leader.isLeader()) return;
    void loadKnownTables()
      .then(() => store.transaction(async (tx) => ({ pending: (await tx.listPending()).length, synced: await tx.getMeta<string>(metaKeys.lastSyncedAt), cursors: await Promise.all(tables.map((table) => tx.getMeta(metaKeys.cursor(table)))) })))
      .then(({ pending, synced, cursors }) => {
        status.update({ pending, lastSyncedAt: synced ?? null });
        if (cursors.every(Boolean)) firstSyncDone();
      })
      .catch(reportApplyError);
  });

  /** The device was revoked: stop, and delete every synced row, unsent mutation and cursor it holds. */
  function forgetDevice(error: DeviceRevokedError): Promise<void> {
    forgetting ??= (async () => {
      session.forget();
      clearTimeout(nudge);
      clearTimeout(commitTimer);
      stopTransport();
      await pushLoop.stop();
      const keys = [...tables.map(metaKeys.cursor), metaKeys.lsn, metaKeys.lastSyncedAt, ...Object.values(identityKeys), SESSION_META_KEY];
      await serial(() =>
        store.transaction(async (tx) => {
          for (const table of known.keys()) await tx.clear(table);
          await tx.deletePendingThrough(Number.MAX_SAFE_INTEGER);
          for (const key of keys) await tx.setMeta(key, undefined);
        }),
      );
      journal?.write(undefined);
      status.update({ revoked: true, needsLogin: true, pending: 0, lastSyncedAt: null, phase: 'stopped' });
      status.error(error.code, error.message);
      tabs.post('revoked');
    })().catch(reportApplyError);
    return forgetting;
  }
  // The server said so before the app stopped last time, and the deletion did not finish.
  if (session.revoked) void forgetDevice(new DeviceRevokedError('This device was revoked: its synced data and unsent changes are deleted'));

  lead();

  return {
    clientID,
    get status() {
      return status.current;
    },
    onStatus: (listener) => status.subscribe(listener),
    ready: () => readyPromise,
    mutate: (name, args) =>
      serial(async () => {
        if (forgetting) throw new DeviceRevokedError('This device was revoked: nothing more can be recorded on it');
        const receipt = await store
          .transaction(async (tx) => {
            const id = ((await tx.getMeta<number>(identityKeys.lastMutationID)) ?? 0) + 1;
            const mutation = { id, clientID, name, args, createdAt: new Date().toISOString() };
            await tx.putPending({ ...mutation, ...(await runOnDevice(tx, mutation, deviceContext())) });
            await tx.setMeta(identityKeys.lastMutationID, id);
            return { clientID, id, unsent: journal ? await tx.listPending() : [] };
          })
          .catch((error: unknown) => {
            // The call rejects with it; the sync bar says it too (a full disk stops every change, not just this one).
            if (error instanceof LocalStoreError) status.error(error.code, `Could not record ${name} on this device: ${error.message}`);
            throw error;
          });
        storeWritten();
        writeJournal(receipt.unsent, receipt.id);
        status.update({ pending: status.current.pending + 1 });
        if (leader.isLeader()) pushLoop.wake();
        else tabs.post('pending-changed');
        return { clientID: receipt.clientID, id: receipt.id };
      }),
    outcomes: () => store.transaction(readOutcomes),
    actor: () => session.knownActor,
    onOutcome(listener) {
      outcomeListeners.add(listener);
      return () => outcomeListeners.delete(listener);
    },
    async login(tokens) {
      if (status.current.revoked) throw new DeviceRevokedError('This device was revoked and its data deleted: start a new sync client to log in');
      await session.replace(tokens);
      status.update({ needsLogin: false, lastError: null });
      if (leader.isLeader()) {
        void startTransport().catch(reportApplyError);
        pushLoop.start();
        pushLoop.wake();
      } else lead();
    },
    pushNow: () => pushLoop.wake(),
    reconnect,
    async stop() {
      stopped = true;
      windowEvents.removeEventListener?.('online', reconnect);
      clearTimeout(nudge);
      clearTimeout(commitTimer);
      stopTransport();
      retryWait.wake(false);
      stopFollowing();
      stopTabs();
      tabs.close();
      await pushLoop.stop();
      await forgetting;
      // Until nothing more is queued: a batch handled as the streams stopped may have queued work.
      for (let queued = work; ; queued = work) {
        await queued;
        if (work === queued) break;
      }
      await leader.release();
      status.update({ phase: 'stopped' });
    },
  };
}

/**
 * A store with no device identity (new, or a corrupt one deleted) takes over the unsent mutations
 * the journal kept, with the identity they were made under and whose they are (only that user's
 * login sends them, as on any device holding another user's unsent work).
 */
async function restoreFromJournal(store: LocalStore, journal: QueueJournal): Promise<void> {
  const record = journal.read();
  if (!record || record.mutations.length === 0) return;
  await store.transaction(async (tx) => {
    if (await tx.getMeta(identityKeys.clientGroupID)) return;
    await tx.setMeta(identityKeys.clientGroupID, record.clientGroupID);
    await tx.setMeta(identityKeys.clientID, record.clientID);
    await tx.setMeta(identityKeys.lastMutationID, record.lastMutationID);
    // No optimistic effects to undo: the new store has none of them; the server's rows bring them.
    for (const mutation of record.mutations) await tx.putPending({ ...mutation, undo: [], reads: { keys: [], lists: [] } });
    if (!(await tx.getMeta(SESSION_META_KEY))) await tx.setMeta(SESSION_META_KEY, { tokens: null, actor: record.actor });
  });
}

async function ensureID(tx: StoreTx, key: string): Promise<string> {
  const existing = await tx.getMeta<string>(key);
  if (existing) return existing;
  const id = crypto.randomUUID();
  await tx.setMeta(key, id);
  return id;
}

function sameColumns(spec: TableSpec | undefined, columns: readonly ColumnSpec[]): boolean {
  if (!spec) return false;
  const have = new Set(spec.columns.map((column) => column.name));
  return columns.every((column) => have.has(column.name));
}

function codeOf(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : fallback;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
