/**
 * A snapshot's pages as they are read. A snapshot is read in one transaction (so its pages agree)
 * and served page by page at offsets 0_1, 0_2, …: the first page goes out as soon as it is read,
 * and a request for a later page waits for it while the reading goes on. Pages are kept briefly on
 * the instance that took the snapshot; a page asked of an instance that no longer has it is a 409
 * and the client starts over.
 *
 * Memory stays bounded whatever the table's size: the reader reads at most `readAhead` pages past
 * the newest one asked for and then waits for the client (holding its transaction), pages older
 * than the one before the newest asked for are let go, and a reader nobody asks anything of for
 * `idleMs` gives up (its transaction rolls back, the handle with it: the client, if it comes back,
 * gets a 409 and starts over). A reader waiting for its client keeps a pooled connection, so only a
 * few may wait at once (PacedReaders); past that, a snapshot of more than one page is refused (a
 * 503 the client retries) rather than read whole into memory.
 */

export interface SnapshotPage {
  /** The page's insert messages as JSON text, comma-joined (no brackets); '' when it has none. */
  readonly body: string;
  readonly rows: number;
  /** The last page: the snapshot ends with it. */
  readonly last: boolean;
}

export interface SnapshotPacing {
  /** How many pages may be read ahead of the newest one asked for. */
  readonly readAhead: number;
  /** How long the reader waits for the next request before it gives the snapshot up. */
  readonly idleMs: number;
}

/** The snapshot was given up: nobody asked for its next page in time, or its page was let go. */
export class SnapshotGoneError extends Error {
  override readonly name = 'SnapshotGoneError';
}

/** A few pages ahead of the client; given up after 30 s without a request. */
export const defaultPacing: SnapshotPacing = { readAhead: 4, idleMs: 30_000 };

/** Read a snapshot to its end at once, whatever its client asks for. */
export const readWhole = (pacing: SnapshotPacing): SnapshotPacing => ({ ...pacing, readAhead: Number.POSITIVE_INFINITY });

/**
 * How many snapshots may be paced at once. Each paced reader keeps a pooled connection (and its
 * transaction) while it waits for its client; unbounded, a crowd of slow first syncs would take
 * the whole pool from pushes, logins and live reads. Past `max`, a snapshot of more than one page
 * is refused, and its client tries again (takeSnapshot); reading it whole instead would hold all
 * its pages in memory, and a crowd of big ones would not fit.
 */
export class PacedReaders {
  private active = 0;

  constructor(readonly max: number) {}

  /** A place for one more paced reader, if one is free; give it back with `leave` when the reading ends. */
  tryEnter(): boolean {
    if (this.active >= this.max) return false;
    this.active++;
    return true;
  }

  leave(): void {
    this.active--;
  }

  /** How many paced readers are running. */
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
  /** When `sending` last rose from 0, and when it last fell to 0. */
  private sendingSince = 0;
  private lastSentAt = 0;
  private wakeReader: (() => void) | undefined;

  constructor(private readonly pacing: SnapshotPacing = defaultPacing) {}

  push(page: SnapshotPage): void {
    if (this.ended) throw new Error('The snapshot has ended already');
    this.pages.push(page);
    const index = this.pages.length - 1;
    for (const waiter of this.waiting.get(index) ?? []) waiter.resolve(page);
    this.waiting.delete(index);
    if (page.last) this.settleWaiters((waiter) => waiter.resolve(undefined));
  }

  /** The reading failed: every page asked for from now on, and every one waited for, fails with `error`. */
  fail(error: unknown): void {
    if (this.ended) return;
    const failure = error instanceof Error ? error : new Error(String(error));
    this.failure = failure;
    this.wakeReader?.();
    this.settleWaiters((waiter) => waiter.reject(failure));
  }

  /**
   * For the reader, before it reads another page: resolves once that page is at most `readAhead`
   * past the newest asked for; rejects with SnapshotGoneError if nothing is asked for within
   * `idleMs` (the stream fails with it too), or with the failure if the stream failed meanwhile.
   */
  async roomForNext(): Promise<void> {
    while (!this.ended && this.pages.length > this.newestAsked + this.pacing.readAhead) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
        // While a page is still being sent the wait goes on (the send's end starts it afresh),
        // but not for ever: a client that stops reading mid-page is given up after maxSendMs.
        const check = () => {
          if (this.sending > 0 && Date.now() - this.sendingSince < this.maxSendMs) timer = setTimeout(check, this.pacing.idleMs).unref();
          else this.fail(new SnapshotGoneError(`Nobody asked for the next page of this snapshot for ${this.pacing.idleMs} ms`));
        };
        timer = setTimeout(check, this.pacing.idleMs).unref();
      });
      clearTimeout(timer);
      this.wakeReader = undefined;
    }
    if (this.failure) throw this.failure;
  }

  /**
   * A page of this snapshot is being sent until `done` settles. The client asks for the next page
   * only once it has this one: over a slow link a 10,000-row page can take longer than `idleMs`,
   * so the reader's idle wait counts from the end of the last send, not from the last request.
   */
  sendingUntil(done: Promise<unknown>): void {
    if (this.sending++ === 0) this.sendingSince = Date.now();
    void done.finally(() => {
      if (--this.sending === 0) this.lastSentAt = Date.now();
      this.wakeReader?.();
    });
  }

  /** A page is being sent, or was within `ms`: the client is still busy with this snapshot. */
  activeWithin(ms: number): boolean {
    return this.sending > 0 || Date.now() - this.lastSentAt < ms;
  }

  /** How long one page may take to send before its client is taken for gone: 10 idle periods. */
  private get maxSendMs(): number {
    return 10 * this.pacing.idleMs;
  }

  /** Page `index` (0-based) once read; undefined if the snapshot has fewer pages. */
  page(index: number): Promise<SnapshotPage | undefined> {
    if (index > this.newestAsked) {
      this.newestAsked = index;
      // A client asks for the pages in order and may retry the one it asked for last.
      for (let old = 0; old < Math.min(index - 1, this.pages.length); old++) this.pages[old] = undefined;
      this.wakeReader?.();
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
    return this.failure !== undefined || this.pages.at(-1)?.last === true;
  }

  private settleWaiters(settle: (waiter: Waiter) => void): void {
    for (const list of this.waiting.values()) for (const waiter of list) settle(waiter);
    this.waiting.clear();
  }
}

/**
 * The later pages of recent snapshots on this instance, by handle, each kept until `idleMs` after
 * its last request. Beyond `maxSnapshots` the oldest snapshot that has ended is dropped; one still
 * being read is never dropped (each holds a database connection, so the pool bounds them). A
 * snapshot dropped while still being read stops (its transaction rolls back).
 */
export class SnapshotPages {
  private readonly entries = new Map<string, { pages: SnapshotPageStream; expiresAt: number }>();
  private closed = false;

  constructor(
    private readonly idleMs = 120_000,
    private readonly maxSnapshots = 100,
  ) {}

  put(handle: string, pages: SnapshotPageStream): void {
    // A snapshot whose first page was being read while the server began closing.
    if (this.closed) {
      pages.fail(new SnapshotGoneError('The server is closing'));
      return;
    }
    this.evict();
    if (this.entries.size >= this.maxSnapshots) {
      const oldestEnded = [...this.entries].find(([, entry]) => entry.pages.ended)?.[0];
      if (oldestEnded !== undefined) this.forget(oldestEnded);
    }
    this.entries.set(handle, { pages, expiresAt: Date.now() + this.idleMs });
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

  forget(handle: string): void {
    this.entries.get(handle)?.pages.fail(new SnapshotGoneError('This snapshot was dropped from the instance'));
    this.entries.delete(handle);
  }

  /** The server is closing: every snapshot still being read stops (its transaction rolls back), and any put later. */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) entry.pages.fail(new SnapshotGoneError('The server is closing'));
    this.entries.clear();
  }

  /** How many snapshots are kept. */
  get size(): number {
    return this.entries.size;
  }

  /** Not asked for within idleMs, and no page sent within it either (a slow download keeps it). */
  private expired(entry: { pages: SnapshotPageStream; expiresAt: number }): boolean {
    return entry.expiresAt < Date.now() && !entry.pages.activeWithin(this.idleMs);
  }

  private evict(): void {
    for (const [handle, entry] of this.entries) if (this.expired(entry)) this.forget(handle);
  }
}
