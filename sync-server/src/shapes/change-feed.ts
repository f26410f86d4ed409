/**
 * One instance's view of the log's newest entries. On each notification (Postgres NOTIFY from the
 * log appender, or PGlite's in-process notify from the capture trigger) it fetches the new entries
 * ONCE and keeps the last few thousand in memory. Each shape live requests wait on has its own log
 * of those changes (LiveShapes): a new transaction is judged and serialised once per shape it
 * concerns (candidates from the shape index, then checked exactly), and only that shape's waiting
 * requests are woken. Live requests read a slice of their shape's log, or, when they are behind
 * where it starts, this tail; neither queries the database per client. On the instance that leads
 * capture, the appended rows are handed over in process (offerAppended), so its feed reads nothing
 * back and its notification is already covered.
 */
import type { Executor, Queryable } from '@niaga/db';
import { queryableOf, type PgExecutor } from '@niaga/db/pg';
import type { PgliteExecutor } from '@niaga/db/pglite';
import pg from 'pg';
import { changesFor, type LogEntry, type TextRow } from './change-messages.ts';
import { LiveShapes, type LiveShape } from './live-shapes.ts';
import { visibleInSnapshot } from './pg-snapshot.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import { shapeIndexKeys } from './shape-index.ts';
import { logPosition, type LogRead, type ShapeHandle } from './shape-log.ts';
import { scopeColumnsOf } from './rules.ts';
import { TailIndex, type TailEntry } from './tail-index.ts';

export const changeChannel = 'niaga_change_log';
export const truncateChannel = 'niaga_change_log_truncate';

export interface Waiter {
  readonly changed: Promise<void>;
  cancel(): void;
}

interface LiveWaiter {
  readonly live: LiveShape;
  readonly handle: ShapeHandle;
  readonly afterLsn: bigint;
  readonly wake: () => void;
}

/** A change-log row as the feed and the pull read it. */
export interface EntryRow {
  lsn: string;
  op_index: number;
  xid: string;
  table_name: string;
  operation: LogEntry['operation'];
  old_row: TextRow | null;
  new_row: TextRow | null;
}

interface FeedRead {
  readonly read: LogRead;
  /** The transactions it holds, and whether it skipped one the handle's snapshot saw (then it is not shared). */
  readonly xids: readonly bigint[];
  readonly skipped: boolean;
}

export interface ChangeFeedOptions {
  /** How many log entries the tail keeps; older offsets are read from the database. */
  maxTailEntries?: number;
  /** A live response stops after the transaction that brings it to this many messages. */
  maxMessagesPerRead?: number;
  /** How many messages each live shape's log keeps (see LiveShapes); it may reach back further than the tail. */
  maxShapeLogMessages?: number;
  /**
   * Past this many messages in all live logs together, they reach back no further than the tail.
   * Too low is worse than too high: clients cut off from the logs catch up from the database, and a
   * burst's worth of them at once take the pool (503s) and more memory than the logs held.
   */
  maxLiveLogMessages?: number;
  fetchBatch?: number;
  /** A shape's live log is forgotten once no request has waited on or read it for this long. */
  shapeIdleMs?: number;
}

/** How often the listening connection is checked, and how long it may take to answer. */
const listenCheckMs = 5000;
const listenCheckTimeoutMs = 5000;

/** The log position a change notification announces (the appender's new maximum), if it names one. */
function positionOf(payload: string | undefined): bigint | undefined {
  return payload !== undefined && /^\d{1,19}$/.test(payload) ? BigInt(payload) : undefined;
}

export class ChangeFeed {
  /** Set once the server is shutting down: waiting requests answer at once. */
  closed = false;
  /** Every entry with lsn <= seen is either in the tail or at/below tailStart. */
  private seen = 0n;
  private tailStart = 0n;
  private compactedBefore = 0n;
  private readonly tail: TailEntry[] = [];
  private readonly tailIndex = new TailIndex(scopeColumnsOf);
  /** Reads served since the tail last grew, by shape and offset (cleared when it grows). */
  private readonly sharedReads = new Map<string, { xids: readonly bigint[]; read: LogRead }>();
  private readonly liveShapes: LiveShapes;
  private readonly waiters = new Map<LiveShape, Set<LiveWaiter>>();
  /** Per table, the log position of the newest TRUNCATE this instance heard of. */
  private readonly truncatedAt = new Map<string, bigint>();
  /** Where new entries are read: on Postgres the listening connection, so that requests busy with the pool cannot hold the feed up. */
  private reader: Queryable;
  private fetching: Promise<void> | undefined;
  private fetchAgain = false;
  /** The highest log position a notification announced; nothing needs reading while `seen` is there. */
  private notifiedUpTo = 0n;
  /** A notification that named no position (compaction, a reconnect, PGlite, a failed fetch): read the database. */
  private mustRead = false;
  /** Rows this process's capture appended (offerAppended), not yet taken in. */
  private offered: { previousMax: bigint; rows: readonly EntryRow[] }[] = [];
  private offeredRows = 0;
  private stopListening: (() => Promise<void>) | undefined;
  private readonly maxTailEntries: number;
  private readonly fetchBatch: number;
  private readonly maxMessagesPerRead: number;
  private readonly shapeIdleMs: number;
  private readonly maxLiveLogMessages: number;
  /** Where the live logs were last cut back to the tail (cutting again there would free nothing). */
  private liveLogsCutAt = 0n;

  constructor(
    private readonly db: Executor,
    options: ChangeFeedOptions = {},
  ) {
    this.maxTailEntries = options.maxTailEntries ?? 20_000;
    this.fetchBatch = options.fetchBatch ?? 5_000;
    this.maxMessagesPerRead = options.maxMessagesPerRead ?? 5_000;
    this.shapeIdleMs = options.shapeIdleMs ?? 60_000;
    this.liveShapes = new LiveShapes(options.maxShapeLogMessages ?? 4 * this.maxMessagesPerRead);
    this.maxLiveLogMessages = options.maxLiveLogMessages ?? 1_000_000;
    this.reader = db;
  }

  async start(): Promise<void> {
    const position = await logPosition(this.db);
    this.seen = this.tailStart = position.lsn;
    this.compactedBefore = position.compactedBefore;
    this.stopListening = this.db.dialect === 'pglite' ? await this.listenPglite(this.db as PgliteExecutor) : await this.listenPg(this.db as PgExecutor);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    await this.stopListening?.();
  }

  /** The position the log was compacted up to, as this feed last heard: nothing before it can be read. */
  get compactedUpTo(): bigint {
    return this.compactedBefore;
  }

  get latestLsn(): bigint {
    return this.seen;
  }

  /** Live requests waiting on this instance. */
  get waiting(): number {
    let count = 0;
    for (const waiters of this.waiters.values()) count += waiters.size;
    return count;
  }

  /** Shapes with a live log on this instance. */
  get liveShapeCount(): number {
    return this.liveShapes.size;
  }

  /** Messages their logs hold. */
  get liveShapeMessages(): number {
    return this.liveShapes.totalMessages;
  }

  /**
   * The shape's changes after `afterLsn`, from memory; undefined when neither its live log nor the
   * tail reaches back that far (or the log was compacted past it): the caller must read the database.
   */
  readTail(shape: ShapeDefinition, handle: ShapeHandle, afterLsn: bigint): LogRead | undefined {
    // Also when the client is ahead of this instance's tail (it read the database more recently).
    if (afterLsn < this.compactedBefore || afterLsn > this.seen) return undefined;
    const live = this.liveShapes.get(shape.hash);
    if (live) live.usedAt = Date.now();
    const inLiveLog = live !== undefined && afterLsn >= live.from;
    if (!inLiveLog && afterLsn < this.tailStart) return undefined;
    // Clients of the same shape at the same offset (a warehouse's pickers, woken together) share
    // one read, unless this client's snapshot already holds one of its transactions.
    const key = `${shape.hash}\u0000${afterLsn}`;
    const shared = this.sharedReads.get(key);
    if (shared && !shared.xids.some((xid) => visibleInSnapshot(xid, handle.snapshot))) return shared.read;
    const { read, xids, skipped } = inLiveLog ? this.readLiveShape(live, handle, afterLsn) : this.readTailEntries(shape, handle, afterLsn);
    if (!skipped) this.sharedReads.set(key, { xids, read });
    return read;
  }

  /** A slice of the shape's live log: its transactions after `afterLsn`, minus those in the handle's snapshot. */
  private readLiveShape(live: LiveShape, handle: ShapeHandle, afterLsn: bigint): FeedRead {
    const messages: string[] = [];
    const xids: bigint[] = [];
    let skipped = false;
    let throughLsn = this.seen;
    const { transactions } = live;
    for (let i = live.firstAfter(afterLsn); i < transactions.length; i++) {
      const transaction = transactions[i]!;
      if (visibleInSnapshot(transaction.xid, handle.snapshot)) {
        skipped = true;
        continue;
      }
      messages.push(...transaction.messages);
      xids.push(transaction.xid);
      if (messages.length >= this.maxMessagesPerRead && i + 1 < transactions.length) {
        throughLsn = transaction.lsn;
        break;
      }
    }
    return { read: { messages, throughLsn, upToDate: throughLsn === this.seen, globalLsn: this.seen }, xids, skipped };
  }

  /** The shape's changes judged from the tail's entries: for a request behind where its live log starts. */
  private readTailEntries(shape: ShapeDefinition, handle: ShapeHandle, afterLsn: bigint): FeedRead {
    const entries = this.tailIndex.entriesFor(shape.table.name, shapeIndexKeys(shape));
    let start = entries.length;
    while (start > 0 && entries[start - 1]!.lsn > afterLsn) start -= 1;
    const messages: string[] = [];
    const xids: bigint[] = [];
    let skipped = false;
    let throughLsn = this.seen;
    let transaction: TailEntry[] = [];
    for (let i = start; i <= entries.length; i++) {
      const entry = entries[i];
      if (transaction.length > 0 && (entry === undefined || entry.lsn !== transaction[0]!.lsn)) {
        for (const message of changesFor(shape, transaction)) messages.push(JSON.stringify(message));
        // A client far behind gets the rest in further responses, whole transactions each.
        if (entry && messages.length >= this.maxMessagesPerRead) {
          throughLsn = transaction[0]!.lsn;
          break;
        }
        transaction = [];
      }
      if (!entry) continue;
      if (visibleInSnapshot(entry.xid, handle.snapshot)) skipped = true;
      else {
        transaction.push(entry);
        xids.push(entry.xid);
      }
    }
    return { read: { messages, throughLsn, upToDate: throughLsn === this.seen, globalLsn: this.seen }, xids, skipped };
  }

  /** True when the table was truncated after this snapshot: the handle is dead. */
  truncatedSince(table: string, snapshotLsn: bigint): boolean {
    const at = this.truncatedAt.get(table);
    return at !== undefined && at > snapshotLsn;
  }

  /** A truncate notification: `{lsn, tables}`. Waiting requests of those tables answer and get a 409 next. */
  truncated(payload: string | undefined): void {
    try {
      const { lsn, tables } = JSON.parse(payload ?? '') as { lsn: string; tables: string[] };
      for (const table of tables) this.truncatedAt.set(table, BigInt(lsn));
    } catch {
      return;
    }
    this.wakeAll();
  }

  /**
   * Each table's newest truncate as the database records it (sync.table_truncations), read when
   * the feed (re)starts listening: a notification sent while it was not listening is lost, and
   * without this its instance would go on serving handles the truncate retired.
   */
  private async loadTruncations(reader: Queryable): Promise<void> {
    const { rows } = await reader.query<{ table_name: string; lsn: string }>('select table_name, lsn::text from sync.table_truncations');
    let learned = false;
    for (const row of rows) {
      const lsn = BigInt(row.lsn);
      if ((this.truncatedAt.get(row.table_name) ?? -1n) >= lsn) continue;
      this.truncatedAt.set(row.table_name, lsn);
      learned = true;
    }
    if (learned) this.wakeAll();
  }

  /** Register before reading, so a change between the read and the wait still wakes the request. */
  waitFor(shape: ShapeDefinition, handle: ShapeHandle, afterLsn: bigint): Waiter {
    let wake!: () => void;
    const changed = new Promise<void>((resolve) => (wake = resolve));
    const live = this.liveShapes.open(shape, this.seen);
    const waiter: LiveWaiter = { live, handle, afterLsn, wake };
    const waiters = this.waiters.get(live) ?? new Set<LiveWaiter>();
    this.waiters.set(live, waiters);
    waiters.add(waiter);
    return { changed, cancel: () => waiters.delete(waiter) };
  }

  /**
   * Called on every notification, with the log position it announces if it names one; bursts
   * coalesce into one fetch at a time. A position this feed already holds (it took the rows from
   * offerAppended) needs no read.
   */
  notify(lsn?: bigint): void {
    if (this.closed) return;
    if (lsn === undefined) this.mustRead = true;
    else if (lsn > this.notifiedUpTo) this.notifiedUpTo = lsn;
    this.fetch();
  }

  /**
   * The rows this process's capture leader just appended (its append committed; the log holds
   * nothing between `previousMax` and them), so that the feed need not read them back. The
   * notification of the same append is then already covered. Rows this feed read meanwhile are
   * skipped; a gap is read from the database.
   */
  offerAppended(appended: { readonly previousMax: bigint; readonly rows: readonly EntryRow[] }): void {
    if (this.closed || appended.rows.length === 0) return;
    if (this.offered.length > 0 && this.offeredRows + appended.rows.length > 4 * this.maxTailEntries) {
      // The feed is far behind: its next read of the database covers these too.
      this.dropOffered();
      this.mustRead = true;
    } else {
      this.offered.push(appended);
      this.offeredRows += appended.rows.length;
    }
    this.fetch();
  }

  private fetch(): void {
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    // From the check phase: an append's result and its notification often arrive in the same poll,
    // and the offered rows make the read unnecessary.
    this.fetching = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.fetchNew())
      .catch(() => {
        this.wakeAll(); // cannot tell what changed: every waiter re-reads
        // And try again soon: rows left behind by a failed fetch would otherwise wait for the next NOTIFY.
        setTimeout(() => this.notify(), 1000).unref();
      })
      .finally(() => {
        this.fetching = undefined;
        if (this.fetchAgain) {
          this.fetchAgain = false;
          this.fetch();
        }
      });
  }

  private async fetchNew(): Promise<void> {
    for (;;) {
      const offered = this.takeOffered();
      if (offered) {
        this.takeIn(offered);
        // Let capture and requests in between: a big append is taken in a fetchBatch at a time, as reads are.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      if (!this.mustRead && this.notifiedUpTo <= this.seen) return;
      // A read covers every notification that came before it.
      this.mustRead = false;
      this.notifiedUpTo = 0n;
      const before = this.seen;
      await this.readNew();
      if (this.seen === before && this.offered.length > 0) {
        // The log holds nothing between `seen` and the offers (their rows gone: a log emptied by
        // hand, say): they can never follow on, and asking the log again would loop for ever.
        this.dropOffered();
      }
    }
  }

  private dropOffered(): void {
    this.offered = [];
    this.offeredRows = 0;
  }

  /**
   * The next offered rows that follow on from `seen`, whole transactions of about fetchBatch rows
   * at most, or undefined (none, or a gap only the database can fill).
   */
  private takeOffered(): readonly EntryRow[] | undefined {
    while (this.offered.length > 0) {
      const next = this.offered[0]!;
      if (next.previousMax > this.seen) {
        this.mustRead = true;
        return undefined;
      }
      this.offered.shift();
      this.offeredRows -= next.rows.length;
      // Whole transactions: whatever of them the feed read from the database meanwhile is skipped.
      const rows = next.previousMax === this.seen ? next.rows : next.rows.filter((row) => BigInt(row.lsn) > this.seen);
      if (rows.length <= this.fetchBatch) {
        if (rows.length > 0) return rows;
        continue;
      }
      let end = this.fetchBatch;
      while (end < rows.length && rows[end]!.lsn === rows[end - 1]!.lsn) end += 1;
      const rest = rows.slice(end);
      if (rest.length > 0) {
        this.offered.unshift({ previousMax: BigInt(rows[end - 1]!.lsn), rows: rest });
        this.offeredRows += rest.length;
      }
      return rows.slice(0, end);
    }
    return undefined;
  }

  /** Reads the database's entries after `seen`, a batch of whole transactions at a time. */
  private async readNew(): Promise<void> {
    for (;;) {
      const { rows } = await this.reader.query<EntryRow & { compacted_before: string }>(
        `select c.lsn::text as lsn, c.op_index, c.xid::text as xid, c.table_name, c.operation, c.old_row, c.new_row,
                (select compacted_before from sync.log_state)::text as compacted_before
           from sync.change_log c where c.lsn > $1 order by c.lsn, c.op_index limit $2`,
        [this.seen.toString(), this.fetchBatch],
      );
      if (rows.length > 0) this.compactedBefore = BigInt(rows[0]!.compacted_before);
      else await this.refreshCompaction();
      let batch: EntryRow[] = rows;
      if (rows.length === this.fetchBatch) {
        // Never take half a transaction: leave the last one for the next round (unless it is all there is).
        const lastLsn = rows.at(-1)!.lsn;
        const whole = rows.filter((row) => row.lsn !== lastLsn);
        batch = whole.length > 0 ? whole : (await this.reader.query<EntryRow>(
          `select lsn::text as lsn, op_index, xid::text as xid, table_name, operation, old_row, new_row from sync.change_log where lsn = $1 order by op_index`,
          [lastLsn],
        )).rows;
      }
      if (batch.length === 0) return;
      this.takeIn(batch);
      if (rows.length < this.fetchBatch) return;
    }
  }

  /** Whole transactions following on from `seen`: into the tail, then to the live shapes they concern. */
  private takeIn(rows: readonly EntryRow[]): void {
    const entries = rows.map((row): TailEntry => ({
      lsn: BigInt(row.lsn),
      op: row.op_index,
      xid: BigInt(row.xid),
      table: row.table_name,
      operation: row.operation,
      oldRow: row.old_row,
      newRow: row.new_row,
    }));
    for (const entry of entries) {
      this.tail.push(entry);
      this.tailIndex.add(entry);
    }
    this.seen = entries.at(-1)!.lsn;
    this.sharedReads.clear();
    this.trim();
    this.forgetIdleShapes();
    try {
      this.dispatch(entries);
    } catch (error) {
      // A live log that missed part of these entries would claim changes it lacks: start them all afresh.
      this.liveShapes.forgetUnless(() => false);
      throw error;
    }
    if (this.liveShapes.totalMessages > this.maxLiveLogMessages && this.tailStart > this.liveLogsCutAt) {
      this.liveShapes.dropThrough(this.tailStart);
      this.liveLogsCutAt = this.tailStart;
    }
  }

  private async refreshCompaction(): Promise<void> {
    const { rows } = await this.reader.query<{ compacted_before: string }>('select compacted_before::text from sync.log_state');
    this.compactedBefore = BigInt(rows[0]!.compacted_before);
  }

  /** Appends each transaction to the live logs of the shapes it concerns and wakes their waiting requests. */
  private dispatch(entries: readonly TailEntry[]): void {
    const woken = new Set<LiveWaiter>();
    let start = 0;
    for (let end = 1; end <= entries.length; end++) {
      if (end < entries.length && entries[end]!.lsn === entries[start]!.lsn) continue;
      const transaction = entries.slice(start, end);
      start = end;
      const { lsn, xid } = transaction[0]!;
      for (const live of this.liveShapes.append(transaction)) {
        for (const waiter of this.waiters.get(live) ?? []) {
          if (lsn > waiter.afterLsn && !visibleInSnapshot(xid, waiter.handle.snapshot)) woken.add(waiter);
        }
      }
    }
    for (const waiter of woken) {
      this.waiters.get(waiter.live)?.delete(waiter);
      waiter.wake();
    }
  }

  /** Drops the oldest whole transactions beyond the size limit. */
  private trim(): void {
    if (this.tail.length <= this.maxTailEntries) return;
    let drop = this.tail.length - this.maxTailEntries;
    while (drop < this.tail.length && this.tail[drop]!.lsn === this.tail[drop - 1]!.lsn) drop += 1;
    this.tailStart = this.tail[drop - 1]!.lsn;
    this.tail.splice(0, drop);
    this.tailIndex.dropThrough(this.tailStart);
  }

  /** Forgets the live logs of shapes nobody has waited on or read for a while. */
  private forgetIdleShapes(): void {
    const idleSince = Date.now() - this.shapeIdleMs;
    this.liveShapes.forgetUnless((live) => (this.waiters.get(live)?.size ?? 0) > 0 || live.usedAt > idleSince);
    for (const live of this.waiters.keys()) if (this.liveShapes.get(live.shape.hash) !== live) this.waiters.delete(live);
  }

  private wakeAll(): void {
    for (const waiters of this.waiters.values()) {
      for (const waiter of waiters) waiter.wake();
      waiters.clear();
    }
  }

  private async listenPglite(db: PgliteExecutor): Promise<() => Promise<void>> {
    const stopChanges = await db.db.listen(changeChannel, () => this.notify());
    const stopTruncates = await db.db.listen(truncateChannel, (payload) => this.truncated(payload));
    return async () => {
      await stopChanges();
      await stopTruncates();
    };
  }

  private async listenPg(db: PgExecutor): Promise<() => Promise<void>> {
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    let connecting: pg.Client | undefined;
    /** Connects and listens; on any failure, now or later, ends that connection and tries again a second later. */
    const connect = async (first: boolean): Promise<void> => {
      if (stopped) return;
      const next = new pg.Client({
        connectionString: db.connectionString,
        application_name: 'niaga-change-feed',
        options: '-c TimeZone=UTC',
        // A dead peer is noticed, and a connect to an unreachable host gives up, in seconds, not hours.
        connectionTimeoutMillis: 5000,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      });
      connecting = next;
      let failed = false;
      let check: NodeJS.Timeout | undefined;
      const fail = () => {
        if (failed) return;
        failed = true;
        clearInterval(check);
        if (client === next) {
          client = undefined;
          this.reader = db;
        }
        void next.end().catch(() => {});
        if (!stopped) retry = setTimeout(() => void connect(false), 1000);
      };
      /**
       * A connection the network dropped without a word (a NAT or a firewall forgetting it) hears
       * no notification and answers no read, and TCP keepalive notices only after ~11 minutes
       * (Linux's default probes): meanwhile this instance's clients got no change and its reads
       * hung. So it is asked a trivial query now and then; one unanswered for long is torn down
       * (which fails its pending reads) and replaced.
       */
      const watch = () => {
        let asking = false;
        check = setInterval(() => {
          if (asking || failed) return;
          asking = true;
          let timer: NodeJS.Timeout | undefined;
          const unanswered = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('The listening connection did not answer')), listenCheckTimeoutMs)));
          Promise.race([next.query('select 1'), unanswered]).then(
            () => {},
            () => {
              // end() would wait for the dead peer; destroying the socket ends the client, and fails its queries, at once.
              (next as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
              fail();
            },
          ).finally(() => {
            clearTimeout(timer);
            asking = false;
          });
        }, listenCheckMs);
        check.unref();
      };
      next.on('notification', (message) => (message.channel === truncateChannel ? this.truncated(message.payload) : this.notify(positionOf(message.payload))));
      next.on('error', fail);
      next.on('end', fail);
      try {
        await next.connect();
        await next.query(`listen ${changeChannel}`);
        await next.query(`listen ${truncateChannel}`);
        // After LISTEN: a truncate recorded before it is read here, one after it is heard.
        await this.loadTruncations(queryableOf(next));
        if (stopped) throw new Error('The change feed stopped while connecting');
      } catch (error) {
        // pg rejects a failed connect without an 'error' event: without this, a feed that lost
        // its database for longer than a retry would never listen again.
        fail();
        if (first) {
          stopped = true;
          clearTimeout(retry);
          throw error;
        }
        return;
      } finally {
        connecting = undefined;
      }
      client = next;
      this.reader = queryableOf(next);
      watch();
      this.notify(); // catch up on anything committed while not listening
    };
    await connect(true);
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
      await connecting?.end().catch(() => {});
    };
  }
}
