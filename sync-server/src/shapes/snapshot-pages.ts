/**
 * The later pages of a big snapshot, kept briefly on the instance that took it. A snapshot is
 * taken in one transaction (so its pages agree) and served page by page at offsets 0_1, 0_2, …;
 * a page asked of an instance that no longer has it is a 409 and the client starts over.
 */
export class SnapshotPages {
  private readonly entries = new Map<string, { pages: readonly string[]; expiresAt: number }>();

  constructor(
    private readonly ttlMs = 120_000,
    private readonly maxSnapshots = 100,
  ) {}

  put(handle: string, pages: readonly string[]): void {
    this.evict();
    if (this.entries.size >= this.maxSnapshots) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(handle, { pages, expiresAt: Date.now() + this.ttlMs });
  }

  /** Page `index` (0-based) of the handle's snapshot, and whether it is the last. */
  get(handle: string, index: number): { page: string; last: boolean } | undefined {
    const entry = this.entries.get(handle);
    if (!entry || entry.expiresAt < Date.now() || index >= entry.pages.length) return undefined;
    return { page: entry.pages[index]!, last: index === entry.pages.length - 1 };
  }

  forget(handle: string): void {
    this.entries.delete(handle);
  }

  private evict(): void {
    const now = Date.now();
    for (const [handle, entry] of this.entries) if (entry.expiresAt < now) this.entries.delete(handle);
  }
}
