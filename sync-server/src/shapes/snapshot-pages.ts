/**
 * A snapshot's pages as they are read. A snapshot is read in one transaction (so its pages agree)
 * and served page by page at offsets 0_1, 0_2, …: the first page goes out as soon as it is read,
 * and a request for a later page waits for it while the reading goes on. Pages are kept briefly on
 * the instance that took the snapshot; a page asked of an instance that no longer has it is a 409
 * and the client starts over.
 *
 * The reading does not wait for the client: the first page is handed over from memory, the later
 * ones wait on disk (SnapshotSpool), so a slow download holds neither a transaction nor a pooled
 * connection, and memory stays bounded whatever the table's size. (Only when the spool is full
 * does a reader wait for room, and so keep pace with its client.) Pages older than the one before
 * the newest asked for are deleted, and so is everything of a snapshot that is dropped
 * (SnapshotPages).
 */
import type { ShapeHandle } from './shape-log.ts';
import type { SnapshotSpool, SpooledBody } from './snapshot-spool.ts';

/** A page as read: its insert messages as JSON text, comma-joined (no brackets); '' when it has none. */
export interface PageRead {
  readonly body: string;
  readonly rows: number;
  /** The last page: the snapshot ends with it. */
  readonly last: boolean;
}

/** A page kept for its client: in memory, or in a file of the spool. */
export type SnapshotPage = PageRead | (Omit<PageRead, 'body'> & SpooledBody);

export const inMemory = (page: SnapshotPage): page is PageRead => 'body' in page;

/** The snapshot was given up (dropped, or the server is closing), or its page was let go. */
export class SnapshotGoneError extends Error {
  override readonly name = 'SnapshotGoneError';
}

/**
 * How many big snapshots may be read at once. Each reader holds a pooled connection until its
 * snapshot is read whole (seconds for a big table, whatever its client does); unbounded, a crowd
 * of first syncs would take the whole pool from pushes, logins and live reads. Past `max`, a
 * snapshot of more than one page is refused and its client tries again (takeSnapshot).
 */
export class SnapshotReaders {
  private active = 0;

  constructor(readonly max: number) {}

  /** A place for one more reader, if one is free; give it back with `leave` when the reading ends. */
  tryEnter(): boolean {
    if (this.active >= this.max) return false;
    this.active++;
    return true;
  }

  leave(): void {
    this.active--;
  }

  /** How many readers are running. */
  get size(): number {
    return this.active;
  }
}

interface Waiter {
  resolve: (page: SnapshotPage | undefined) => void;
  reject: (error: Error) => void;
}

/** The pages of one snapshot, appended by its reader, awaited by the requests for them. */
export class SnapshotPageStream {
  /** Read pages; those let go are undefined. */
  private readonly pages: (SnapshotPage | undefined)[] = [];
  private readonly waiting = new Map<number, Waiter[]>();
  private failure: Error | undefined;
  /** The newest page asked for (the first is asked for by whoever takes the snapshot). */
  private newestAsked = 0;
  /** Pages being sent to the client right now: a slow download is not a client gone quiet. */
  private sending = 0;
  private lastSentAt = 0;
  /** The last page was pushed (it stays true once that page is let go). */
  private readToEnd = false;
  /** Aborted with the failure when the stream fails: for a reader waiting for room in the spool meanwhile. */
  private readonly failing = new AbortController();

  /** `spool`: where this stream's spooled pages live, to delete them when they are let go. */
  constructor(private readonly spool?: SnapshotSpool) {}

  /** Appends a page; if the stream was given up meanwhile, deletes the page and throws why. */
  push(page: SnapshotPage): void {
    if (this.failure) {
      this.let(page);
      throw this.failure;
    }
    if (this.ended) throw new Error('The snapshot has ended already');
    this.pages.push(page);
    if (page.last) this.readToEnd = true;
    const index = this.pages.length - 1;
    for (const waiter of this.waiting.get(index) ?? []) waiter.resolve(page);
    this.waiting.delete(index);
    if (page.last) this.settleWaiters((waiter) => waiter.resolve(undefined));
  }

  /**
   * The snapshot is given up, or its reading failed: every page asked for from now on, and every
   * one waited for, fails with `error`, and the pages kept are deleted. A snapshot read to its end
   * is only deleted (its handle stands: its client may still resume from the log).
   */
  fail(error: unknown): void {
    if (!this.failure) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      const failure = this.failure;
      this.settleWaiters((waiter) => waiter.reject(failure));
      this.failing.abort(failure);
    }
    for (let index = 0; index < this.pages.length; index++) this.letGo(index);
  }

  /** For the reader, between pages: throws if the snapshot was given up meanwhile. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Aborted, with the failure as its reason, once the stream fails: for a reader waiting for room in the spool. */
  get signal(): AbortSignal {
    return this.failing.signal;
  }

  /** How many spooled pages this stream holds (not let go yet). */
  get spooledPages(): number {
    return this.pages.filter((page) => page !== undefined && !inMemory(page)).length;
  }

  /**
   * The first page, once read: handed over and let go at once (a client that asks for it again
   * starts a new snapshot at offset -1), so a snapshot waiting for its client holds no page in memory.
   */
  async takeFirst(): Promise<PageRead> {
    const first = await this.page(0);
    if (!first || !inMemory(first)) throw new Error("A snapshot's first page is read into memory");
    this.pages[0] = undefined;
    return first;
  }

  /**
   * A page of this snapshot is being sent until `done` settles. The client asks for the next page
   * only once it has this one, and over a slow link a page can take minutes: the snapshot is not
   * idle while it is being sent.
   */
  sendingUntil(done: Promise<unknown>): void {
    this.sending++;
    void done.finally(() => {
      if (--this.sending === 0) this.lastSentAt = Date.now();
    });
  }

  /** A page is being sent or waited for, or was sent within `ms`: the client is still busy with this snapshot. */
  activeWithin(ms: number): boolean {
    return this.sending > 0 || this.waiting.size > 0 || Date.now() - this.lastSentAt < ms;
  }

  /** Page `index` (0-based) once read; undefined if the snapshot has fewer pages. */
  page(index: number): Promise<SnapshotPage | undefined> {
    // A client asks for a page only once it has the one before, which was read by then. One asked
    // for further ahead would wait, holding pages its reader could not let go: refused.
    if (!this.ended && index > this.pages.length) return Promise.reject(new SnapshotGoneError(`Page ${index} of this snapshot was asked for before page ${index - 1} was read`));
    if (index > this.newestAsked) {
      this.newestAsked = index;
      // A client asks for the pages in order and may retry the one it asked for last.
      for (let old = 0; old < Math.min(index - 1, this.pages.length); old++) this.letGo(old);
    }
    // A snapshot whose reading failed can never be completed: its client must start over.
    if (this.failure) return Promise.reject(this.failure);
    if (index < this.pages.length) {
      const page = this.pages[index];
      return page ? Promise.resolve(page) : Promise.reject(new SnapshotGoneError(`Page ${index} of this snapshot was let go after a later page was asked for`));
    }
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(index) ?? [];
      list.push({ resolve, reject });
      this.waiting.set(index, list);
    });
  }

  /** How many pages are read so far. */
  get length(): number {
    return this.pages.length;
  }

  /** Read to its end, or failed: it holds no transaction. */
  get ended(): boolean {
    return this.failure !== undefined || this.readToEnd;
  }

  private letGo(index: number): void {
    const page = this.pages[index];
    if (!page) return;
    this.pages[index] = undefined;
    this.let(page);
  }

  private let(page: SnapshotPage): void {
    if (!inMemory(page)) this.spool?.release(page);
  }

  private settleWaiters(settle: (waiter: Waiter) => void): void {
    for (const list of this.waiting.values()) for (const waiter of list) settle(waiter);
    this.waiting.clear();
  }
}

/**
 * The later pages of recent snapshots on this instance, by handle, each kept until `idleMs` after
 * its last request (a page being sent or waited for keeps it too). A timer drops the expired ones,
 * so their files go even if no request comes. A snapshot dropped while still being read stops
 * (its transaction rolls back). What they hold is bounded by the spool and by SnapshotReaders.
 */
export class SnapshotPages {
  private readonly entries = new Map<string, { handle: ShapeHandle; pages: SnapshotPageStream; expiresAt: number }>();
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly idleMs = 120_000) {
    this.sweeper = setInterval(() => this.evict(), Math.max(100, Math.min(idleMs, 60_000)) / 2).unref();
  }

  put(handle: ShapeHandle, pages: SnapshotPageStream): void {
    // A snapshot whose first page was being read while the server began closing.
    if (this.closed) {
      pages.fail(new SnapshotGoneError('The server is closing'));
      return;
    }
    this.entries.set(handle.handle, { handle, pages, expiresAt: Date.now() + this.idleMs });
  }

  /** The handle of a snapshot kept here (its row may not be committed yet while its reader runs). */
  handleOf(handle: string): ShapeHandle | undefined {
    return this.entries.get(handle)?.handle;
  }

  /**
   * Page `index` (0-based) of the handle's snapshot, once read; undefined if this instance does not
   * have it. Rejects if the reading failed or the page was let go.
   */
  async get(handle: string, index: number): Promise<SnapshotPage | undefined> {
    const entry = this.entries.get(handle);
    if (!entry) return undefined;
    if (this.expired(entry)) {
      this.forget(handle);
      return undefined;
    }
    entry.expiresAt = Date.now() + this.idleMs;
    return entry.pages.page(index);
  }

  /** The handle's snapshot pages, if this instance has them. */
  streamOf(handle: string): SnapshotPageStream | undefined {
    return this.entries.get(handle)?.pages;
  }

  /** Drops the handle's snapshot: its reading stops if it still runs, and its pages are deleted. */
  forget(handle: string): void {
    this.entries.get(handle)?.pages.fail(new SnapshotGoneError('This snapshot was dropped from the instance'));
    this.entries.delete(handle);
  }

  /** The server is closing: every snapshot still being read stops (its transaction rolls back), and any put later. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const entry of this.entries.values()) entry.pages.fail(new SnapshotGoneError('The server is closing'));
    this.entries.clear();
  }

  /** How many snapshots are kept. */
  get size(): number {
    return this.entries.size;
  }

  /** Not asked for within idleMs, and no page sent or waited for within it either (a slow download keeps it). */
  private expired(entry: { pages: SnapshotPageStream; expiresAt: number }): boolean {
    return entry.expiresAt < Date.now() && !entry.pages.activeWithin(this.idleMs);
  }

  private evict(): void {
    for (const [handle, entry] of this.entries) if (this.expired(entry)) this.forget(handle);
  }
}
