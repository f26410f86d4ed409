/**
 * One-page snapshots shared by the clients that start the same shape within a few seconds: a
 * crowd of first syncs of one definition (a warehouse's pickers opening the app at the start of a
 * shift) takes one snapshot instead of one each. A client given a shared snapshot goes on from its
 * position like any other, and what changed since comes from the log, so it misses nothing and
 * sees nothing twice. Bigger snapshots are not shared: their later pages are read as their own
 * client asks for them.
 */
import type { ShapeHandle } from './shape-log.ts';
import type { PageRead } from './snapshot-pages.ts';

export interface SharedSnapshot {
  readonly handle: ShapeHandle;
  /** The whole snapshot, in one page. */
  readonly page: PageRead;
}

interface Entry {
  readonly snapshot: Promise<SharedSnapshot | undefined>;
  /** The page's characters, once it is known to be shareable. */
  size: number;
}

export class SharedSnapshots {
  private readonly recent = new Map<string, Entry>();
  private size = 0;

  /** `maxAgeMs` 0 shares nothing; at most `maxChars` characters of pages are kept (the oldest go first). */
  constructor(
    private readonly maxAgeMs: number,
    private readonly maxChars = 64 * 1024 * 1024,
  ) {}

  /**
   * The snapshot of definition `hash` taken (or being taken) less than maxAgeMs ago, if it was one
   * page and `usable` still says yes to its handle; otherwise takes one with `take` (callers of the
   * same hash meanwhile wait for it).
   */
  async share<T extends { readonly handle: ShapeHandle; readonly first: PageRead }>(
    hash: string,
    take: () => Promise<T>,
    usable: (handle: ShapeHandle) => boolean,
  ): Promise<{ shared: true; snapshot: SharedSnapshot } | { shared: false; snapshot: T }> {
    const entry = this.recent.get(hash);
    if (entry) {
      const shared = await entry.snapshot;
      if (shared && usable(shared.handle)) return { shared: true, snapshot: shared };
    }
    const taking = take();
    if (this.maxAgeMs > 0) this.remember(hash, taking);
    return { shared: false, snapshot: await taking };
  }

  /** Shares no snapshot of this definition taken so far (it turned out stale: compacted past, truncated). */
  forget(hash: string): void {
    const entry = this.recent.get(hash);
    if (!entry) return;
    this.recent.delete(hash);
    this.size -= entry.size;
  }

  private remember(hash: string, taking: Promise<{ readonly handle: ShapeHandle; readonly first: PageRead }>): void {
    this.forget(hash);
    const entry: Entry = {
      size: 0,
      snapshot: taking.then(
        (taken) => {
          if (!taken.first.last || this.recent.get(hash) !== entry) return undefined;
          entry.size = taken.first.body.length;
          this.size += entry.size;
          // Oldest first (a Map keeps insertion order), until the pages fit.
          for (const key of this.recent.keys()) {
            if (this.size <= this.maxChars) break;
            this.forget(key);
          }
          return { handle: taken.handle, page: taken.first };
        },
        () => undefined,
      ),
    };
    this.recent.set(hash, entry);
    setTimeout(() => this.recent.get(hash) === entry && this.forget(hash), this.maxAgeMs).unref();
  }
}
