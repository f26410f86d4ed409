/**
 * A snapshot's pages as they are read. A snapshot is read in one transaction (so its pages agree)
 * and served page by page at offsets 0_1, 0_2, …: the first page goes out as soon as it is read,
 * and a request for a later page waits for it while the reading goes on. Pages are kept briefly on
 * the instance that took the snapshot; a page asked of an instance that no longer has it is a 409
 * and the client starts over.
 */

export interface SnapshotPage {
  /** The page's insert messages as JSON text, comma-joined (no brackets); '' when it has none. */
  readonly body: string;
  readonly rows: number;
  /** The last page: the snapshot ends with it. */
  readonly last: boolean;
}

/** The pages of one snapshot, appended by its reader, awaited by the requests for them. */
export class SnapshotPageStream {
  private readonly pages: SnapshotPage[] = [];
  private readonly waiting = new Map<number, { resolve: (page: SnapshotPage | undefined) => void; reject: (error: Error) => void }[]>();
  private failure: Error | undefined;

  push(page: SnapshotPage): void {
    if (this.ended()) throw new Error('The snapshot has ended already');
    this.pages.push(page);
    const index = this.pages.length - 1;
    for (const waiter of this.waiting.get(index) ?? []) waiter.resolve(page);
    this.waiting.delete(index);
    if (page.last) this.settleWaiters((waiter) => waiter.resolve(undefined));
  }

  /** The reading failed: every page not read yet fails with `error`. */
  fail(error: unknown): void {
    if (this.ended()) return;
    const failure = error instanceof Error ? error : new Error(String(error));
    this.failure = failure;
    this.settleWaiters((waiter) => waiter.reject(failure));
  }

  /** Page `index` (0-based) once read; undefined if the snapshot has fewer pages. */
  page(index: number): Promise<SnapshotPage | undefined> {
    if (index < this.pages.length) return Promise.resolve(this.pages[index]);
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended()) return Promise.resolve(undefined);
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

  private ended(): boolean {
    return this.failure !== undefined || this.pages.at(-1)?.last === true;
  }

  private settleWaiters(settle: (waiter: { resolve: (page: SnapshotPage | undefined) => void; reject: (error: Error) => void }) => void): void {
    for (const list of this.waiting.values()) for (const waiter of list) settle(waiter);
    this.waiting.clear();
  }
}

/** The later pages of recent snapshots on this instance, by handle, for a limited time. */
export class SnapshotPages {
  private readonly entries = new Map<string, { pages: SnapshotPageStream; expiresAt: number }>();

  constructor(
    private readonly ttlMs = 120_000,
    private readonly maxSnapshots = 100,
  ) {}

  put(handle: string, pages: SnapshotPageStream): void {
    this.evict();
    if (this.entries.size >= this.maxSnapshots) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(handle, { pages, expiresAt: Date.now() + this.ttlMs });
  }

  /** Page `index` (0-based) of the handle's snapshot, once read; undefined if this instance does not have it. */
  async get(handle: string, index: number): Promise<SnapshotPage | undefined> {
    const entry = this.entries.get(handle);
    if (!entry || entry.expiresAt < Date.now()) return undefined;
    return entry.pages.page(index);
  }

  forget(handle: string): void {
    this.entries.delete(handle);
  }

  private evict(): void {
    const now = Date.now();
    for (const [handle, entry] of this.entries) if (entry.expiresAt < now) this.entries.delete(handle);
  }
}
