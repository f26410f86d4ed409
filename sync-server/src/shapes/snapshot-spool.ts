/**
 * Where the later pages of big snapshots wait for their clients: files in a folder of this
 * process's own, within a byte budget. A snapshot is read from the database as fast as the
 * database gives it, then served from here at whatever pace its client reads; its transaction
 * (and pooled connection) is not held for a slow download.
 *
 * The budget bounds the disk, not what can be served: a page that does not fit waits until pages
 * are deleted (its reader then keeps pace with its client, as a reader without a spool would), and
 * a reader holding fewer than two pages of its own may always write one, so even a snapshot larger
 * than the whole budget is served.
 *
 * The folder is `niaga-snapshots-<pid>-<random>` under the configured parent. It is removed on
 * close; folders left by processes that are gone (a crash, or an earlier run of a container whose
 * process had the same pid) are removed when the next spool is made beside them. Two machines or
 * containers must not share one parent folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A page's body on disk. */
export interface SpooledBody {
  readonly file: string;
  readonly bytes: number;
}

export interface SpoolWriteOptions {
  /** The writer holds so few pages that it may go past the budget (it could otherwise wait on itself). */
  readonly mayExceedBudget?: () => boolean;
  /** Aborted when the writer is given up: a write waiting for room stops with its reason. */
  readonly signal?: AbortSignal;
}

const folderPrefix = 'niaga-snapshots-';
/** The folders of this process's open spools: a folder with our pid but not in here is an earlier process's. */
const ownFolders = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the spool folders under `parent` left by processes that no longer run; best effort. */
async function removeAbandoned(parent: string, warn: (message: string) => void): Promise<void> {
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(folderPrefix)) continue;
    const folder = join(parent, name);
    const pid = Number(name.slice(folderPrefix.length).split('-')[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || ownFolders.has(folder)) continue;
    if (pid !== process.pid && processAlive(pid)) continue;
    await rm(folder, { recursive: true, force: true }).catch((error: unknown) => warn(`Could not remove the abandoned snapshot spool ${folder}: ${String(error)}`));
  }
}

export class SnapshotSpool {
  private readonly files = new Map<string, number>();
  private used = 0;
  private written = 0;
  /** Writes waiting for room, woken by every release. */
  private roomWaiters = new Set<() => void>();
  private closed = false;

  private constructor(
    /** This spool's own folder. */
    readonly dir: string,
    /** The most bytes its files should hold together. */
    readonly maxBytes: number,
  ) {}

  static async create(parent: string, maxBytes: number, warn: (message: string) => void = () => {}): Promise<SnapshotSpool> {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, not ${maxBytes}`);
    await mkdir(parent, { recursive: true });
    await removeAbandoned(parent, warn);
    const dir = join(parent, `${folderPrefix}${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(dir);
    ownFolders.add(dir);
    return new SnapshotSpool(dir, maxBytes);
  }

  /**
   * Writes one page's body. A page that would take the spool past its budget waits until enough
   * pages are released, unless `mayExceedBudget` says the writer holds too few pages to wait on.
   */
  async write(body: string, options: SpoolWriteOptions = {}): Promise<SpooledBody> {
    const bytes = Buffer.byteLength(body);
    while (this.used + bytes > this.maxBytes && !(options.mayExceedBudget?.() ?? false)) {
      if (this.closed) throw new Error('The snapshot spool is closed');
      await this.room(options.signal);
    }
    if (this.closed) throw new Error('The snapshot spool is closed');
    const file = join(this.dir, `${++this.written}.json`);
    this.used += bytes;
    this.files.set(file, bytes);
    try {
      await writeFile(file, body);
    } catch (error) {
      this.release({ file, bytes });
      throw error;
    }
    return { file, bytes };
  }

  /** Deletes a page's file (a reader that has it open may finish it); releasing twice is harmless. */
  release(page: SpooledBody): void {
    const bytes = this.files.get(page.file);
    if (bytes === undefined) return;
    this.files.delete(page.file);
    this.used -= bytes;
    unlink(page.file).catch(() => {});
    this.wakeWaiters();
  }

  /** Resolves at the next release (or close); rejects with the signal's reason if it is aborted first. */
  private room(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.roomWaiters.delete(wake);
        signal?.removeEventListener('abort', abort);
      };
      const wake = () => {
        done();
        resolve();
      };
      const abort = () => {
        done();
        reject(signal!.reason as Error);
      };
      if (signal?.aborted) return abort();
      this.roomWaiters.add(wake);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  private wakeWaiters(): void {
    for (const wake of [...this.roomWaiters]) wake();
  }

  /** Bytes held by the pages not yet released. */
  get usedBytes(): number {
    return this.used;
  }

  /** Removes the folder and everything in it. */
  async close(): Promise<void> {
    this.closed = true;
    this.files.clear();
    this.used = 0;
    this.wakeWaiters();
    ownFolders.delete(this.dir);
    // A reading stopped by the close may still be writing its page: rm retries a folder refilled meanwhile.
    await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  }
}
