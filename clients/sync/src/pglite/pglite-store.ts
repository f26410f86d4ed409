/**
 * The PGlite store: each synced table mirrored as a real table (`catalog.products` locally too),
 * so apps query it with SQL; metadata and the pending queue in schema `niaga_sync`. Bulk writes go
 * through `json_populate_recordset`: one statement parses a whole page of rows inside Postgres.
 *
 * Tabs share one database through PGlite's multi-tab worker: each tab opens the store over its
 * `PGliteWorker` (`db`). Listeners hear the tables each transaction of this store wrote, and
 * those that other stores over the same database wrote (other tabs, another store in this
 * process), through a BroadcastChannel named for the database (its `store:id` in the metadata).
 */
import { PGlite, type PGliteInterface, type Transaction } from '@electric-sql/pglite';
import type { ListOptions } from '@niaga/mutators';
import { LocalStoreError, type ColumnSpec, type LocalRow, type LocalStore, type PendingMutation, type RowModel, type StoreTx, type TableSpec } from '../local-store.ts';
import { isTableList, notifyListeners, openStoreChannel, type StoreChannel } from '../store-channel.ts';
import { pgliteRowModel, storedType, type PgliteSession } from './pglite-row-model.ts';

export interface PgliteStoreOptions {
  /** `idb://name` or `opfs-ahp://name` in a browser, a folder in Node, nothing for memory; or `db`. */
  readonly dataDir?: string;
  /**
   * An open PGlite, or a `PGliteWorker` (`@electric-sql/pglite/worker`), one per tab, over the
   * database the app's tabs share. The app holds it: the store does not guard it against a second
   * opener. Closing the last store over it closes it.
   */
  readonly db?: PGliteInterface;
  /**
   * A dump (`dumpDataDir()`) of an empty database to start a NEW database from, skipping
   * initdb (seconds of WebAssembly work); leave it out when opening an existing one.
   */
  readonly template?: Blob;
}

/**
 * Values as the shape stream gives them: timestamps, dates and numerics as Postgres text, int8 as
 * numbers. The store reads rows with these whoever made the PGlite (the row model compares values
 * in this form); an app that queries the same database should open it with them too, so its
 * screens see what its mutators see.
 */
export const pgliteParsers = {
  20: (value: string) => Number(value),
  1082: (value: string) => value,
  1114: (value: string) => value,
  1184: (value: string) => value,
  1700: (value: string) => value,
};

const BULK_ROWS = 5_000;

/**
 * Bulk writes hand PGlite their rows as one JSON document in UTF-8 bytes, which it binds in binary
 * format. A string parameter would cost a JavaScript loop over its every character, twice, to
 * measure its UTF-8 length (~2.5 ms per 150 KB); the serializer keeps PGlite's own json
 * serializer from stringifying the bytes again.
 */
const JSON_OID = 114;
const jsonBytesOptions = { serializers: { [JSON_OID]: (bytes: unknown) => bytes as string } };
const utf8 = new TextEncoder();

/** A `json` parameter's binary form: the document's UTF-8 text. */
function jsonBytes(value: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(value));
}

const bootstrap = `
create schema if not exists niaga_sync;
create table if not exists niaga_sync.meta (key text primary key, value jsonb not null);
create table if not exists niaga_sync.tables (name text primary key, spec jsonb not null);
create table if not exists niaga_sync.pending (
  id bigint primary key, client_id text not null, name text not null, args jsonb, created_at text not null, undo jsonb not null, reads jsonb not null
);`;

export async function openPgliteStore(options: PgliteStoreOptions = {}): Promise<LocalStore> {
  // A dataDir the store opens itself is held until close(): see holdDataDir. (A PGlite the app made
  // is the app's to hold.)
  const release = !options.db && options.dataDir && !options.dataDir.startsWith('memory://') ? await holdDataDir(options.dataDir) : () => {};
  try {
    return await openHeld(options, release);
  } catch (error) {
    release();
    throw error;
  }
}

async function openHeld(options: PgliteStoreOptions, release: () => void): Promise<LocalStore> {
  const db = options.db ?? new PGlite({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...(options.template ? { loadDataDir: options.template } : {}), parsers: pgliteParsers });
  try {
    await db.waitReady;
    await db.exec(bootstrap);
  } catch (error) {
    // A database that exists but will not start is unreadable: the app can only reset it (refetch).
    // (Not one whose worker changed hands meanwhile: opening it again will do.)
    const failed = storeError(error, 'The local database could not be opened');
    throw failed.code === 'STORE_FAILED' && !leaderChanged(error) ? new LocalStoreError('STORE_CORRUPT', `${failed.message}; it may be corrupt: delete it and sync again`, { cause: error }) : failed;
  }
  const { identity, rows, settings } = await opened(db).catch((error: unknown) => {
    throw isEngineError(error) ? storeError(error, 'The local database could not be opened') : error;
  });
  const session: PgliteSession = {
    utcISO: /^(Etc\/)?(UTC|UCT|GMT0?|GMT[+-]0|Universal|Zulu)$/.test(settings?.zone ?? '') && /^ISO\b/.test(settings?.style ?? ''),
    codePointOrder: settings?.collation === 'C' || settings?.collation === 'POSIX',
  };
  return new PgliteStore(db, new Map(rows.map(({ spec }) => [spec.name, spec.columns])), session, `@niaga/sync/pglite:${identity?.value ?? ''}`, release);
}

/** What a store needs to know of the database it opens. */
async function opened(db: PGliteInterface) {
  // The database's own id (the same for every store over it, whichever tab made it): its channel's name.
  const [identity] = (
    await db.query<{ value: string }>(
      "insert into niaga_sync.meta (key, value) values ('store:id', to_jsonb(gen_random_uuid()::text)) on conflict (key) do update set value = niaga_sync.meta.value returning value",
    )
  ).rows;
  const { rows } = await db.query<{ spec: TableSpec }>('select spec from niaga_sync.tables');
  const [settings] = (
    await db.query<{ zone: string; style: string; collation: string }>(
      "select current_setting('TimeZone') as zone, current_setting('DateStyle') as style, (select datcollate from pg_database where datname = current_database()) as collation",
    )
  ).rows;
  return { identity, rows, settings };
}

/** The part of the Web Locks API used here (`navigator.locks`), so Node code type-checks without the DOM. */
interface DataDirLocks {
  request(name: string, options: { mode: 'exclusive'; ifAvailable: true }, callback: (lock: unknown) => Promise<void>): Promise<unknown>;
}

/** The dataDirs this process has open, where there are no Web Locks. */
const heldDataDirs = new Set<string>();

/**
 * PGlite keeps the database in memory and writes whole files back (to IndexedDB or to disk), so
 * two PGlites over one dataDir (two tabs, or two stores in one process) do not see each other's
 * writes and overwrite each other's files: pending mutations and synced rows are lost without a
 * word. One store at a time holds a dataDir (a Web Lock where there are Web Locks, so across the
 * tabs of a browser; else within this process); another is refused with STORE_IN_USE. Resolves to
 * the release.
 */
async function holdDataDir(dataDir: string): Promise<() => void> {
  const inUse = () => new LocalStoreError('STORE_IN_USE', `The local database ${dataDir} is open already (another tab or window, or another store of this app): use that one, or close it first`);
  const locks = (globalThis as { navigator?: { locks?: DataDirLocks } }).navigator?.locks;
  if (!locks) {
    if (heldDataDirs.has(dataDir)) throw inUse();
    heldDataDirs.add(dataDir);
    return () => heldDataDirs.delete(dataDir);
  }
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return new Promise((resolve, reject) => {
    locks
      .request(`@niaga/sync/pglite:${dataDir}`, { mode: 'exclusive', ifAvailable: true }, async (lock) => {
        if (!lock) return reject(inUse());
        resolve(release);
        await released;
      })
      .catch(reject);
  });
}

/**
 * The open stores over each PGlite (two in one process share one, as tabs share a worker's): the
 * last to close closes it. Closing it under another store would leave that store's transaction in
 * flight unsettled for good, and its client's stop() waiting on it.
 */
const storesOver = new WeakMap<PGliteInterface, number>();

class PgliteStore implements LocalStore {
  readonly kind = 'pglite' as const;
  private readonly listeners = new Set<(tables: ReadonlySet<string>) => void>();
  private closed = false;
  private readonly channel: StoreChannel | undefined;
  /** What other stores over this database wrote, heard in order (each after the columns are read again). */
  private heard: Promise<void> = Promise.resolve();
  /** Transactions running now: close() lets them finish. */
  private readonly running = new Set<Promise<unknown>>();

  private readonly model: RowModel;

  /** @param columns the columns of each local table (a row's other keys are not stored). */
  constructor(
    private readonly db: PGliteInterface,
    private readonly columns: Map<string, readonly ColumnSpec[]>,
    session: PgliteSession,
    channelName: string,
    /** Lets go of the dataDir (holdDataDir). */
    private readonly release: () => void,
  ) {
    this.model = pgliteRowModel((table) => this.columns.get(table), session);
    storesOver.set(db, (storesOver.get(db) ?? 0) + 1);
    this.channel = openStoreChannel(channelName);
    if (this.channel) {
      this.channel.onmessage = (event) => {
        if (this.closed || !isTableList(event.data)) return;
        const tables = new Set(event.data);
        this.heard = this.heard.then(() => this.hear(tables));
      };
    }
  }

  /**
   * Another store over this database committed writes to `tables`. It may have made tables or
   * columns this one has not seen (the leader tab creates them on its first sync; a follower's
   * mutations write to them): read the specs again, then tell the listeners.
   */
  private async hear(tables: ReadonlySet<string>): Promise<void> {
    try {
      await this.tables();
    } catch {
      // Closed meanwhile, or failing: this store's next transaction says so.
    }
    if (!this.closed) notifyListeners(this.listeners, tables);
  }

  async ensureTables(tables: readonly TableSpec[]): Promise<void> {
    await this.run(async (tx) => {
      for (const spec of tables) {
        const [schema] = spec.name.split('.');
        await tx.exec(`create schema if not exists ${ident(schema!)}`);
        const columns = spec.columns.map((column) => `${ident(column.name)} ${columnType(column)}`);
        await tx.exec(`create table if not exists ${qualified(spec.name)} (${columns.join(', ')}, primary key (id))`);
        for (const column of spec.columns) await tx.exec(`alter table ${qualified(spec.name)} add column if not exists ${ident(column.name)} ${columnType(column)}`);
        for (const index of spec.indexes ?? []) await tx.exec(`create index if not exists ${ident(`${spec.name}_${index}`.replace(/\W/g, '_'))} on ${qualified(spec.name)} (${ident(index)})`);
        const { rows } = await tx.query<{ spec: TableSpec }>('select spec from niaga_sync.tables where name = $1', [spec.name]);
        const before = rows[0]?.spec.columns ?? [];
        const merged: TableSpec = { ...spec, columns: [...before, ...spec.columns.filter((column) => !before.some((old) => old.name === column.name))] };
        await tx.query('insert into niaga_sync.tables (name, spec) values ($1, $2) on conflict (name) do update set spec = excluded.spec', [spec.name, JSON.stringify(merged)]);
        this.columns.set(spec.name, merged.columns);
      }
    });
  }

  /** The tables ensured so far, by this store or another over the database: this store writes their columns from now on. */
  async tables(): Promise<TableSpec[]> {
    const specs = await this.run(async (tx) => (await tx.query<{ spec: TableSpec }>('select spec from niaga_sync.tables order by name')).rows.map((row) => row.spec));
    for (const spec of specs) this.columns.set(spec.name, spec.columns);
    return specs;
  }

  async transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    const written = new Set<string>();
    let result: T;
    try {
      result = await this.run((tx) => work(new PgliteStoreTx(tx, written, this.columns, this.model)));
    } catch (error) {
      // It may have committed: listeners read again, so one told in vain costs a read, one left untold stays stale.
      if (error instanceof LocalStoreError && leaderChanged(error.cause)) this.announce(written);
      throw error;
    }
    this.announce(written);
    return result;
  }

  /** Tells this store's listeners, and the other stores over the database, the tables a transaction wrote. */
  private announce(written: ReadonlySet<string>): void {
    if (written.size === 0) return;
    notifyListeners(this.listeners, written);
    this.channel?.postMessage([...written]);
  }

  subscribe(listener: (tables: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    if (this.channel) {
      this.channel.onmessage = null;
      this.channel.close();
    }
    // Transactions already running finish first: a PGlite closed under one never settles it (the
    // caller, a client's stop() among them, would wait for good). Later ones are refused.
    await Promise.allSettled([...this.running]);
    const others = (storesOver.get(this.db) ?? 1) - 1;
    storesOver.set(this.db, others);
    try {
      if (others === 0) await this.db.close();
    } finally {
      this.release();
    }
  }

  /** One PGlite transaction (PGlite queues the others); engine errors become LocalStoreErrors. */
  private async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.closed) throw new LocalStoreError('STORE_CLOSED', 'The local database is closed');
    const running = this.runOpen(work);
    this.running.add(running);
    try {
      return await running;
    } finally {
      this.running.delete(running);
    }
  }

  private async runOpen<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(work);
    } catch (error) {
      if (error instanceof LocalStoreError || !isEngineError(error)) throw error;
      throw storeError(error, leaderChanged(error) ? 'The tab whose worker held the local database went away during this transaction, which may or may not have committed' : 'The local database failed');
    }
  }
}

class PgliteStoreTx implements StoreTx {
  private savepoints = 0;

  constructor(
    private readonly tx: Transaction,
    private readonly written: Set<string>,
    private readonly columns: Map<string, readonly ColumnSpec[]>,
    readonly model: RowModel,
  ) {}

  /** Rows in the store's value forms (`pgliteParsers`), even from a PGlite opened without them. */
  private async read<T>(sql: string, params: unknown[]): Promise<T[]> {
    return (await this.tx.query<T>(sql, params, { parsers: pgliteParsers })).rows;
  }

  async get(table: string, id: string): Promise<LocalRow | undefined> {
    const rows = await this.read<LocalRow>(`select * from ${qualified(table)} where id = $1`, [id]);
    return rows[0];
  }

  async getMany(table: string, ids: readonly string[]): Promise<(LocalRow | undefined)[]> {
    if (ids.length === 0) return [];
    const rows = await this.read<LocalRow>(`select * from ${qualified(table)} where id = any($1)`, [[...new Set(ids)]]);
    const byID = new Map(rows.map((row) => [String(row.id), row]));
    return ids.map((id) => byID.get(id));
  }

  async list(table: string, where: LocalRow, options: ListOptions = {}): Promise<LocalRow[]> {
    const params: unknown[] = [];
    const conditions = Object.entries(where).map(([column, value]) => {
      if (value === null || value === undefined) return `${ident(column)} is null`;
      params.push(value);
      return Array.isArray(value) ? `${ident(column)} = any($${params.length})` : `${ident(column)} = $${params.length}`;
    });
    if (options.after) {
      params.push(options.after[1]);
      conditions.push(`${ident(options.after[0])} > $${params.length}`);
    }
    let sql = `select * from ${qualified(table)}${conditions.length ? ` where ${conditions.join(' and ')}` : ''}`;
    // Ties (and unordered lists) in id order, as on the server, so device and server pick the same row.
    sql += options.orderBy ? ` order by ${ident(options.orderBy[0])} ${options.orderBy[1] === 'desc' ? 'desc' : 'asc'}, id` : ' order by id';
    if (options.limit !== undefined) sql += ` limit ${Math.max(0, Math.floor(options.limit))}`;
    return this.read<LocalRow>(sql, params);
  }

  async put(table: string, row: LocalRow): Promise<void> {
    await this.putMany(table, [row]);
  }

  async putMany(table: string, rows: readonly LocalRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.written.add(table);
    const known = this.columns.get(table) ?? (await this.ensuredElsewhere(table));
    if (!known) throw new LocalStoreError('STORE_FAILED', `${table} is not a local table (not synced to this device)`);
    // A put replaces the whole row: columns a row leaves out become null.
    const columns = known.map((column) => column.name).filter((column) => column !== 'id');
    const updates = columns.length ? `do update set ${columns.map((column) => `${ident(column)} = excluded.${ident(column)}`).join(', ')}` : 'do nothing';
    const sql = `insert into ${qualified(table)} select * from json_populate_recordset(null::${qualified(table)}, $1) on conflict (id) ${updates}`;
    for (let start = 0; start < rows.length; start += BULK_ROWS) await this.tx.query(sql, [jsonBytes(rows.slice(start, start + BULK_ROWS))], jsonBytesOptions);
  }

  /** The columns of `table` if another store over this database (another tab) has ensured it since this one last read the specs. */
  private async ensuredElsewhere(table: string): Promise<readonly ColumnSpec[] | undefined> {
    const [row] = await this.read<{ spec: TableSpec }>('select spec from niaga_sync.tables where name = $1', [table]);
    if (row) this.columns.set(table, row.spec.columns);
    return row?.spec.columns;
  }

  async attempt<T>(work: () => Promise<T>): Promise<T> {
    const name = `attempt_${++this.savepoints}`;
    await this.tx.exec(`savepoint ${name}`);
    try {
      const result = await work();
      await this.tx.exec(`release savepoint ${name}`);
      return result;
    } catch (error) {
      await this.tx.exec(`rollback to savepoint ${name}`);
      throw error;
    }
  }

  async delete(table: string, id: string): Promise<void> {
    this.written.add(table);
    await this.tx.query(`delete from ${qualified(table)} where id = $1`, [id]);
  }

  async deleteMany(table: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    this.written.add(table);
    await this.tx.query(`delete from ${qualified(table)} where id = any($1)`, [[...ids]]);
  }

  async clear(table: string): Promise<void> {
    this.written.add(table);
    await this.tx.query(`delete from ${qualified(table)}`);
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    const { rows } = await this.tx.query<{ value: T }>('select value from niaga_sync.meta where key = $1', [key]);
    return rows[0]?.value;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    if (value === undefined) await this.tx.query('delete from niaga_sync.meta where key = $1', [key]);
    else await this.tx.query('insert into niaga_sync.meta (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value', [key, JSON.stringify(value)]);
  }

  async listPending(): Promise<PendingMutation[]> {
    const rows = await this.read<{ id: number; client_id: string; name: string; args: unknown; created_at: string; undo: PendingMutation['undo']; reads: PendingMutation['reads'] }>('select * from niaga_sync.pending order by id', []);
    return rows.map((row) => ({ id: row.id, clientID: row.client_id, name: row.name, args: row.args ?? undefined, createdAt: row.created_at, undo: row.undo, reads: row.reads }));
  }

  async putPending(mutation: PendingMutation): Promise<void> {
    this.written.add('niaga_sync.pending');
    await this.tx.query(
      `insert into niaga_sync.pending (id, client_id, name, args, created_at, undo, reads) values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (id) do update set client_id = excluded.client_id, name = excluded.name, args = excluded.args, created_at = excluded.created_at, undo = excluded.undo, reads = excluded.reads`,
      [mutation.id, mutation.clientID, mutation.name, mutation.args === undefined ? null : JSON.stringify(mutation.args), mutation.createdAt, JSON.stringify(mutation.undo), JSON.stringify(mutation.reads)],
    );
  }

  async putPendingMany(mutations: readonly PendingMutation[]): Promise<void> {
    if (mutations.length === 0) return;
    if (mutations.length === 1) return this.putPending(mutations[0]!);
    this.written.add('niaga_sync.pending');
    // One statement; each value as putPending binds it (args as JSON text or null).
    const rows = mutations.map((mutation) => ({ id: mutation.id, client_id: mutation.clientID, name: mutation.name, args: mutation.args === undefined ? null : JSON.stringify(mutation.args), created_at: mutation.createdAt, undo: mutation.undo, reads: mutation.reads }));
    await this.tx.query(
      `insert into niaga_sync.pending (id, client_id, name, args, created_at, undo, reads)
       select id, client_id, name, args::jsonb, created_at, undo, reads from json_to_recordset($1::json) as m(id bigint, client_id text, name text, args text, created_at text, undo jsonb, reads jsonb)
       on conflict (id) do update set client_id = excluded.client_id, name = excluded.name, args = excluded.args, created_at = excluded.created_at, undo = excluded.undo, reads = excluded.reads`,
      [jsonBytes(rows)],
      jsonBytesOptions,
    );
  }

  async deletePendingThrough(lastMutationID: number): Promise<void> {
    this.written.add('niaga_sync.pending');
    await this.tx.query('delete from niaga_sync.pending where id <= $1', [lastMutationID]);
  }
}

function columnType(column: ColumnSpec): string {
  return storedType(column) + '[]'.repeat(column.dims ?? 0);
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function qualified(table: string): string {
  const dot = table.indexOf('.');
  return dot < 0 ? ident(table) : `${ident(table.slice(0, dot))}.${ident(table.slice(dot + 1))}`;
}

/** Errors from the database engine itself, as opposed to errors thrown by the caller's work. */
function isEngineError(error: unknown): boolean {
  return error instanceof Error && ('severity' in error || error.name === 'RuntimeError' || /PGlite|database|closed/i.test(error.message) || leaderChanged(error));
}

/**
 * A PGliteWorker's LeaderChangedError (its class name does not survive bundling): the tab whose
 * worker held the database went away while the call was out, and another tab's worker took the
 * database over from its files. What the call did may or may not have taken effect.
 */
function leaderChanged(error: unknown): boolean {
  return error instanceof Error && /^Leader changed\b/.test(error.message);
}

/** SQLSTATE disk_full: the engine could not extend a file (no space left, or the browser's quota). */
const DISK_FULL = '53100';

function storeError(error: unknown, message: string): LocalStoreError {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code === DISK_FULL || /quota|no space left/i.test(text) ? 'STORE_QUOTA' : /closed/i.test(text) ? 'STORE_CLOSED' : /corrupt|invalid page|could not read|RuntimeError|unreachable/i.test(text) ? 'STORE_CORRUPT' : 'STORE_FAILED';
  return new LocalStoreError(code, `${message}: ${text}`, { cause: error });
}
