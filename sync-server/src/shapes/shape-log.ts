/**
 * Reading a shape from the database: its snapshot (one consistent REPEATABLE READ transaction
 * that also records where the log stood and which transactions it saw) and its tail (the log
 * after an offset, in whole transactions, minus what the snapshot already contained).
 */
import { randomBytes } from 'node:crypto';
import type { Executor, Queryable } from '@niaga/db';
import { changesFor, keyPrefix, type LogEntry, type TextRow } from './change-messages.ts';
import { parsePgSnapshot, visibleInSnapshot, type PgSnapshot } from './pg-snapshot.ts';
import { compileRuleFilter } from './rule-filter.ts';
import { inMemory, SnapshotPageStream, type PageRead, type SnapshotPage, type SnapshotReaders } from './snapshot-pages.ts';
import type { SnapshotSpool } from './snapshot-spool.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import { compileWhere } from './where/index.ts';

export interface ShapeHandle {
  readonly handle: string;
  readonly definitionHash: string;
  readonly snapshotLsn: bigint;
  readonly snapshot: PgSnapshot;
}

export interface Snapshot {
  readonly handle: ShapeHandle;
  /** Its first page (in memory). */
  readonly first: PageRead;
  /** Its later pages, from 1 on, as they are read. */
  readonly pages: SnapshotPageStream;
}

export interface LogRead {
  /** Each message's JSON. */
  readonly messages: readonly string[];
  /** The lsn through which this shape has now seen every change. */
  readonly throughLsn: bigint;
  /** True when nothing is left before the global position: the response may say up-to-date. */
  readonly upToDate: boolean;
  readonly globalLsn: bigint;
}

export class CompactedError extends Error {
  override readonly name = 'CompactedError';
}

/**
 * An offset past everything the log holds: the database was restored from a backup or replaced
 * (keeping the handles), and positions the device already has will be given again to other
 * changes. Resuming there would take them for replays and skip them: the client must start over.
 */
export class OffsetAheadError extends Error {
  override readonly name = 'OffsetAheadError';
}

/** A snapshot of more than one page found every reader taken, or the spool more than half full: the client should try again shortly. */
export class SnapshotBusyError extends Error {
  override readonly name = 'SnapshotBusyError';
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Runs `fn` in one REPEATABLE READ transaction: every query sees the same snapshot. */
export async function repeatableRead<T>(db: Executor, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('set transaction isolation level repeatable read');
    return fn(tx);
  });
}

function newHandle(shape: ShapeDefinition): string {
  return `${shape.hash}-${Date.now()}${randomBytes(3).toString('hex')}`;
}

const snapshotCursor = 'niaga_snapshot_rows';

/** A function takes at most 100 arguments (Postgres's FUNC_MAX_ARGS): 50 columns' names and values. */
const columnsPerObject = 50;

/**
 * SQL for the row's value object as JSON text, every value as Postgres text. Past 50 columns, one
 * json_build_object per 50 joined as text: each one's text ends with `}` after a string or null
 * and starts with `{`, so dropping those and joining with a comma gives one object.
 */
function valueObject(columns: readonly string[]): string {
  const parts: string[] = [];
  for (let start = 0; start < columns.length || start === 0; start += columnsPerObject) {
    const chunk = columns.slice(start, start + columnsPerObject);
    parts.push(`json_build_object(${chunk.map((column) => `${literal(column)}, ${quote(column)}::text`).join(', ')})::text`);
  }
  if (parts.length === 1) return parts[0]!;
  return parts.map((part, index) => (index === 0 ? `left(${part}, -1)` : index === parts.length - 1 ? `substr(${part}, 2)` : `substr(left(${part}, -1), 2)`)).join(` || ',' || `);
}

/** The shape's rows: `from … where …` with the rule and the client's where, and their parameters. */
function shapeRowsFrom(shape: ShapeDefinition): { sql: string; values: unknown[] } {
  const { table } = shape;
  const rule = compileRuleFilter(shape.rule, table, 1);
  const where = shape.where ? compileWhere(shape.where, rule.values.length + 1) : undefined;
  return { sql: `from ${quote(table.schema)}.${quote(table.table)} where ${rule.sql}${where ? ` and ${where.sql}` : ''}`, values: [...rule.values, ...(where?.values ?? [])] };
}

/**
 * A cursor over the shape's rows, each as its insert message's JSON built in SQL: the server only
 * joins strings. No order: a snapshot's rows may come in any order, and a sequential scan is the
 * fastest read of a whole table.
 */
function declareSnapshotCursor(shape: ShapeDefinition): { sql: string; values: unknown[] } {
  const { table } = shape;
  const key = [literal(keyPrefix(table)), ...table.primaryKey.map((column) => `'/"' || replace(${quote(column)}::text, '/', '//') || '"'`)].join(' || ');
  const value = valueObject(shape.columns.map((column) => column.name));
  const headers = JSON.stringify({ operation: 'insert', relation: [table.schema, table.table] });
  const rows = shapeRowsFrom(shape);
  // The message's outer object by concatenation: a quarter faster than json_build_object here.
  const sql = `declare ${snapshotCursor} no scroll cursor for
    select '{"key":' || to_json(${key})::text || ',"value":' || ${value} || ',"headers":' || ${literal(headers)} || '}' as m
      ${rows.sql}`;
  return { sql, values: rows.values };
}

/** True when the shape has more than `pageRows` rows (scans at most that many, builds nothing). */
async function moreThanOnePage(tx: Queryable, shape: ShapeDefinition, pageRows: number): Promise<boolean> {
  const rows = shapeRowsFrom(shape);
  const { rows: found } = await tx.query(`select 1 ${rows.sql} offset ${pageRows} limit 1`, rows.values);
  return found.length > 0;
}

/**
 * Where the log stands: its newest lsn, and how far it was compacted. A log compacted empty stands
 * at its horizon, not at 0 (an offset of 0 would be behind the horizon: a 409 loop). A truncate
 * logs no entry but counts too (sync.table_truncations, migration 0030): a snapshot taken after it
 * must stand at or past it, or it is retired as soon as it is taken (another 409 loop).
 */
export async function logPosition(tx: Queryable): Promise<{ lsn: bigint; compactedBefore: bigint }> {
  const { rows } = await tx.query<{ lsn: string; compacted_before: string }>(
    `select greatest((select lsn from sync.change_log order by lsn desc limit 1), compacted_before,
                     (select max(lsn) from sync.table_truncations))::text as lsn,
            compacted_before::text as compacted_before
       from sync.log_state`,
  );
  return { lsn: BigInt(rows[0]!.lsn), compactedBefore: BigInt(rows[0]!.compacted_before) };
}

async function saveHandle(tx: Queryable, handle: ShapeHandle, table: string): Promise<void> {
  await tx.query(
    `insert into sync.shape_handles (handle, definition_hash, snapshot_lsn, snapshot_xmin, snapshot_xmax, snapshot_xip, table_name)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [handle.handle, handle.definitionHash, handle.snapshotLsn.toString(), handle.snapshot.xmin.toString(), handle.snapshot.xmax.toString(), handle.snapshot.xip.map(String), table],
  );
}

export interface SnapshotOptions {
  /** false: only mark the current position (offset=now). */
  readonly rowsToo?: boolean;
  readonly pageRows?: number;
  /** Where the pages after the first wait for their client; without one they are kept in memory. */
  readonly spool?: SnapshotSpool;
  /** Bounds the readers of big snapshots on Postgres: one taken when none is free fails with SnapshotBusyError. */
  readonly readers?: SnapshotReaders;
}

/** Why a big snapshot cannot start now, if it cannot: every reader taken, or the spool more than half full. */
function busyReason(readers: SnapshotReaders | undefined, spool: SnapshotSpool | undefined): string | undefined {
  if (readers && readers.size >= readers.max) return `All ${readers.max} readers of big snapshots are busy (SHAPE_SNAPSHOT_MAX_READERS)`;
  if (spool && spool.usedBytes > spool.maxBytes / 2) return `The snapshot spool is more than half full, ${spool.usedBytes} of ${spool.maxBytes} bytes (SHAPE_SNAPSHOT_SPOOL_MAX_MB)`;
  return undefined;
}

/**
 * Takes the shape's snapshot. Resolves with the first page once it is read; the later pages
 * follow on `pages` while the transaction goes on reading, each written to the spool, so the
 * reading does not wait for the client. The last page is published only after the transaction has
 * committed, so by the time a client has the whole snapshot its handle is visible to every instance.
 *
 * A reader holds a pooled connection until its snapshot is read, so on Postgres only as many big
 * snapshots as `readers` allows are read at once. A snapshot of one page never waits. One of more
 * pages (a scan of at most a page's rows that builds nothing tells) takes a reader's place before
 * its first page is built; with no reader free, or with the spool more than half full, it fails
 * with SnapshotBusyError before anything is built or sent. If
 * the spool fills up during the reading, the reader waits for room (SnapshotSpool.write) and so
 * keeps pace with its client; it stops if the snapshot is given up. PGlite has one connection for
 * everything: there the readers are not counted.
 */
export async function takeSnapshot(db: Executor, shape: ShapeDefinition, options: SnapshotOptions = {}): Promise<Snapshot> {
  const { rowsToo = true, pageRows = 10_000, spool } = options;
  if (!Number.isSafeInteger(pageRows) || pageRows < 1) throw new RangeError(`pageRows must be a positive integer, not ${pageRows}`);
  const readers = db.dialect === 'pglite' ? undefined : options.readers;
  const pages = new SnapshotPageStream(spool);
  /** This snapshot holds one of the readers' places (from its second page on). */
  let holdsPlace = false;
  /**
   * A later page as it is kept: written to the spool, waiting for room there if the spool is full
   * and this snapshot holds two pages already. Never on PGlite: its reader would hold the one
   * connection everything else needs while it waits.
   */
  const kept = async (page: PageRead): Promise<SnapshotPage> => {
    if (!spool) return page;
    const mayExceedBudget = () => db.dialect === 'pglite' || pages.spooledPages < 2;
    const spooled = await spool.write(page.body, { mayExceedBudget, signal: pages.signal });
    return { rows: page.rows, last: page.last, ...spooled };
  };
  /** The last page, kept before the commit: released if the commit fails. */
  let last: SnapshotPage | undefined;
  let taken: (handle: ShapeHandle) => void = () => {};
  const handleTaken = new Promise<ShapeHandle>((resolve) => (taken = resolve));
  const reading = repeatableRead(db, async (tx): Promise<SnapshotPage> => {
    const { rows: [current] } = await tx.query<{ snapshot: string }>('select pg_current_snapshot()::text as snapshot');
    const position = await logPosition(tx);
    const handle: ShapeHandle = { handle: newHandle(shape), definitionHash: shape.hash, snapshotLsn: position.lsn, snapshot: parsePgSnapshot(current!.snapshot) };
    await saveHandle(tx, handle, shape.table.name);
    taken(handle);
    if (!rowsToo) return { body: '', rows: 0, last: true };
    // A snapshot of one page is always served. A bigger one takes its reader's place before its
    // first page is built, or is refused: a crowd of first syncs builds no page it will not serve.
    const big = await moreThanOnePage(tx, shape, pageRows);
    if (big) {
      const busy = busyReason(readers, spool);
      if (busy) throw new SnapshotBusyError(busy);
      holdsPlace = readers?.tryEnter() ?? false;
    }
    const { sql, values } = declareSnapshotCursor(shape);
    await tx.query(sql, values);
    for (let index = 0; ; index++) {
      pages.throwIfFailed();
      const { rows } = await tx.query<{ m: string }>(`fetch forward ${pageRows} from ${snapshotCursor}`);
      const page: PageRead = { body: rows.map((row) => row.m).join(','), rows: rows.length, last: !big || rows.length < pageRows };
      if (index === 0) {
        if (page.last) return page;
        pages.push(page); // the first page stays in memory: it is sent at once
        continue;
      }
      if (page.last) {
        pages.throwIfFailed();
        return (last = await kept(page));
      }
      pages.push(await kept(page));
    }
  });
  void reading.then(
    // The stream may have been given up meanwhile (server closing, dropped): then push deletes the last page.
    (lastPage) => pages.push(lastPage),
    (error: unknown) => {
      pages.fail(error);
      if (last && spool && !inMemory(last)) spool.release(last);
    },
  ).catch(() => {}).finally(() => holdsPlace && readers?.leave());
  const handle = await Promise.race([handleTaken, reading.then(() => handleTaken)]);
  const first = await pages.takeFirst(); // or the reading's failure
  return { handle, first, pages };
}

/** Records that a client still uses this handle (compaction keeps handles used within the retention window). */
export async function touchHandle(db: Queryable, handle: string): Promise<void> {
  await db.query('update sync.shape_handles set used_at = now() where handle = $1', [handle]);
}

/** What a handle of newHandle() can look like: anything else (a NUL, which Postgres text refuses, or a megabyte) is unknown without asking. */
const handleShape = /^[!-~]{1,128}$/;

export async function findHandle(db: Queryable, handle: string): Promise<ShapeHandle | undefined> {
  if (!handleShape.test(handle)) return undefined;
  const { rows } = await db.query<{ definition_hash: string; snapshot_lsn: string; snapshot_xmin: string; snapshot_xmax: string; snapshot_xip: string[] }>(
    `select definition_hash, snapshot_lsn::text, snapshot_xmin::text, snapshot_xmax::text, snapshot_xip::text[] as snapshot_xip
       from sync.shape_handles where handle = $1`,
    [handle],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    handle,
    definitionHash: row.definition_hash,
    snapshotLsn: BigInt(row.snapshot_lsn),
    snapshot: { xmin: BigInt(row.snapshot_xmin), xmax: BigInt(row.snapshot_xmax), xip: row.snapshot_xip.map(BigInt) },
  };
}

interface EntryRow {
  lsn: string;
  op_index: number;
  xid: string;
  operation: LogEntry['operation'];
  old_row: TextRow | null;
  new_row: TextRow | null;
}

/**
 * The shape's changes after `afterLsn`, in whole transactions (at most about `limit` log rows,
 * but never half a transaction), skipping transactions the handle's snapshot already saw.
 */
export async function readShapeLog(db: Executor, shape: ShapeDefinition, handle: ShapeHandle, afterLsn: bigint, limit = 10_000): Promise<LogRead> {
  return repeatableRead(db, async (tx) => {
    const position = await logPosition(tx);
    if (afterLsn < position.compactedBefore) throw new CompactedError(`Offset ${afterLsn} is older than the compacted log (${position.compactedBefore})`);
    if (afterLsn > position.lsn) throw new OffsetAheadError(`Offset ${afterLsn} is past the end of the log (${position.lsn}): the database went back; start the shape again`);
    // Order by the columns themselves: an `lsn::text` output alias would sort as text (11 before 3).
    const select = `select c.lsn::text as lsn, c.op_index, c.xid::text as xid, c.operation, c.old_row, c.new_row from sync.change_log c`;
    let { rows } = await tx.query<EntryRow>(
      `${select} where c.table_name = $1 and c.lsn > $2 and c.lsn <= $3 order by c.lsn, c.op_index limit $4`,
      [shape.table.name, afterLsn.toString(), position.lsn.toString(), limit + 1],
    );
    let upToDate = true;
    let throughLsn = position.lsn;
    if (rows.length > limit) {
      upToDate = false;
      const lastLsn = rows.at(-1)!.lsn;
      const whole = rows.filter((row) => row.lsn !== lastLsn);
      if (whole.length > 0) {
        rows = whole;
      } else {
        // One transaction larger than the limit: send it whole rather than split it.
        rows = (await tx.query<EntryRow>(`${select} where c.table_name = $1 and c.lsn = $2 order by c.op_index`, [shape.table.name, lastLsn])).rows;
      }
      throughLsn = BigInt(rows.at(-1)!.lsn);
    }
    const messages: string[] = [];
    let transaction: LogEntry[] = [];
    const flush = () => {
      for (const message of changesFor(shape, transaction)) messages.push(JSON.stringify(message));
      transaction = [];
    };
    for (const row of rows) {
      const entry: LogEntry = { lsn: BigInt(row.lsn), op: row.op_index, xid: BigInt(row.xid), operation: row.operation, oldRow: row.old_row, newRow: row.new_row };
      if (visibleInSnapshot(entry.xid, handle.snapshot)) continue;
      if (transaction.length > 0 && transaction[0]!.lsn !== entry.lsn) flush();
      transaction.push(entry);
    }
    flush();
    return { messages, throughLsn, upToDate, globalLsn: position.lsn };
  });
}
