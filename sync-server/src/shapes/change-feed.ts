/**
 * One instance's view of the log's newest entries. On each notification (Postgres NOTIFY from the
 * log appender, or PGlite's in-process notify from the capture trigger) it fetches the new entries
 * ONCE, keeps the last few thousand in memory, and wakes only the waiting shapes they concern:
 * candidates come from the ShapeIndex (table + equality predicates) and are then checked exactly.
 * Live requests read from this tail instead of querying the database per client.
 */
import type { Executor } from '@niaga/db';
import type { PgExecutor } from '@niaga/db/pg';
import type { PgliteExecutor } from '@niaga/db/pglite';
import pg from 'pg';
import { changesFor, type ChangeMessage, type LogEntry, type TextRow } from './change-messages.ts';
import { visibleInSnapshot } from './pg-snapshot.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import { shapeIndexKeys, ShapeIndex } from './shape-index.ts';
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
  readonly shape: ShapeDefinition;
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

export interface ChangeFeedOptions {
  /** How many log entries the tail keeps; older offsets are read from the database. */
  maxTailEntries?: number;
  /** A live response stops after the transaction that brings it to this many messages. */
  maxMessagesPerRead?: number;
  fetchBatch?: number;
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
  private readonly index = new ShapeIndex<LiveWaiter>();
  /** Per table, the log position of the newest TRUNCATE this instance heard of. */
  private readonly truncatedAt = new Map<string, bigint>();
  private fetching: Promise<void> | undefined;
  private fetchAgain = false;
  private stopListening: (() => Promise<void>) | undefined;
  private readonly maxTailEntries: number;
  private readonly fetchBatch: number;
  private readonly maxMessagesPerRead: number;

  constructor(
    private readonly db: Executor,
    options: ChangeFeedOptions = {},
  ) {
    this.maxTailEntries = options.maxTailEntries ?? 20_000;
    this.fetchBatch = options.fetchBatch ?? 5_000;
    this.maxMessagesPerRead = options.maxMessagesPerRead ?? 5_000;
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

  get latestLsn(): bigint {
    return this.seen;
  }

  /** Live requests waiting on this instance. */
  get waiting(): number {
    return this.index.size;
  }

  /**
   * The shape's changes after `afterLsn`, from memory; undefined when the tail does not reach back
   * that far (or the log was compacted past it), and the caller must read the database.
   */
  readTail(shape: ShapeDefinition, handle: ShapeHandle, afterLsn: bigint): LogRead | undefined {
    // Also when the client is ahead of this instance's tail (it read the database more recently).
    if (afterLsn < this.tailStart || afterLsn < this.compactedBefore || afterLsn > this.seen) return undefined;
    // Clients of the same shape at the same offset (a warehouse's pickers, woken together) share
    // one read, unless this client's snapshot already holds one of its transactions.
    const key = `${shape.hash}\u0000${afterLsn}`;
    const shared = this.sharedReads.get(key);
    if (shared && !shared.xids.some((xid) => visibleInSnapshot(xid, handle.snapshot))) return shared.read;

    const entries = this.tailIndex.entriesFor(shape.table.name, shapeIndexKeys(shape));
    let start = entries.length;
    while (start > 0 && entries[start - 1]!.lsn > afterLsn) start -= 1;
    const messages: ChangeMessage[] = [];
    const xids: bigint[] = [];
    let skipped = false;
    let throughLsn = this.seen;
    let transaction: TailEntry[] = [];
    for (let i = start; i <= entries.length; i++) {
      const entry = entries[i];
      if (transaction.length > 0 && (entry === undefined || entry.lsn !== transaction[0]!.lsn)) {
        messages.push(...changesFor(shape, transaction));
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
    const read: LogRead = { messages, throughLsn, upToDate: throughLsn === this.seen, globalLsn: this.seen };
    if (!skipped) this.sharedReads.set(key, { xids, read });
    return read;
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

  /** Register before reading, so a change between the read and the wait still wakes the request. */
  waitFor(shape: ShapeDefinition, handle: ShapeHandle, afterLsn: bigint): Waiter {
    let wake!: () => void;
    const changed = new Promise<void>((resolve) => (wake = resolve));
    const waiter: LiveWaiter = { shape, handle, afterLsn, wake };
    this.index.add(waiter, shape.table.name, shapeIndexKeys(shape));
    return { changed, cancel: () => this.index.remove(waiter) };
  }

  /** Called on every notification; bursts coalesce into one fetch at a time. */
  notify(): void {
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    this.fetching = this.fetchNew()
      .catch(() => this.wakeAll()) // cannot tell what changed: every waiter re-reads
      .finally(() => {
        this.fetching = undefined;
        if (this.fetchAgain) {
          this.fetchAgain = false;
          this.notify();
        }
      });
  }

  private async fetchNew(): Promise<void> {
    for (;;) {
      const { rows } = await this.db.query<EntryRow & { compacted_before: string }>(
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
        batch = whole.length > 0 ? whole : (await this.db.query<EntryRow>(
          `select lsn::text as lsn, op_index, xid::text as xid, table_name, operation, old_row, new_row from sync.change_log where lsn = $1 order by op_index`,
          [lastLsn],
        )).rows;
      }
      if (batch.length === 0) return;
      const entries = batch.map((row): TailEntry => ({
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
      this.dispatch(entries);
      if (rows.length < this.fetchBatch) return;
    }
  }

  private async refreshCompaction(): Promise<void> {
    const { rows } = await this.db.query<{ compacted_before: string }>('select compacted_before::text from sync.log_state');
    this.compactedBefore = BigInt(rows[0]!.compacted_before);
  }

  private dispatch(entries: readonly TailEntry[]): void {
    const woken = new Set<LiveWaiter>();
    for (const entry of entries) {
      for (const waiter of this.index.candidates(entry.table, entry.oldRow, entry.newRow)) {
        if (woken.has(waiter) || entry.lsn <= waiter.afterLsn || visibleInSnapshot(entry.xid, waiter.handle.snapshot)) continue;
        if (changesFor(waiter.shape, [entry]).length > 0) woken.add(waiter);
      }
    }
    for (const waiter of woken) {
      this.index.remove(waiter);
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

  private wakeAll(): void {
    for (const waiter of [...this.index.all()]) {
      this.index.remove(waiter);
      waiter.wake();
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
    const connect = async (): Promise<void> => {
      if (stopped) return;
      const next = new pg.Client({ connectionString: db.connectionString });
      next.on('notification', (message) => (message.channel === truncateChannel ? this.truncated(message.payload) : this.notify()));
      next.on('error', () => {
        void next.end().catch(() => {});
        if (!stopped) setTimeout(() => void connect().catch(() => {}), 1000);
      });
      await next.connect();
      await next.query(`listen ${changeChannel}`);
      await next.query(`listen ${truncateChannel}`);
      client = next;
      this.notify(); // catch up on anything committed while not listening
    };
    await connect();
    return async () => {
      stopped = true;
      await client?.end().catch(() => {});
    };
  }
}
