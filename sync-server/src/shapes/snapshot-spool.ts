/**
 * Where the later pages of big snapshots wait for their clients: files in a folder of this
 * instance's own, within a byte budget. A snapshot is read from the database as fast as the
 * database gives it, then served from here at whatever pace its client reads; its transaction
 * (and pooled connection) is never held for a slow download.
 *
 * The folder is `niaga-snapshots-<pid>-<random>` under the configured parent (the OS temporary
 * folder by default). It is removed on close; the folders of processes that are gone (a crash)
 * are removed when the next spool is made beside them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A page's body on disk. */
export interface SpooledBody {
  readonly file: string;
  readonly bytes: number;
}

/** Writing the page would take the spool past its budget. */
export class SpoolFullError extends Error {
  override readonly name = 'SpoolFullError';
}

const folderPrefix = 'niaga-snapshots-';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes spool folders under `parent` left by processes that no longer run. */
async function removeAbandoned(parent: string): Promise<void> {
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(folderPrefix)) continue;
    const pid = Number(name.slice(folderPrefix.length).split('-')[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) await rm(join(parent, name), { recursive: true, force: true });
  }
}

export class SnapshotSpool {
  private readonly files = new Map<string, number>();
  private used = 0;
  private written = 0;

  private constructor(
    /** This spool's own folder. */
    readonly dir: string,
    /** The most bytes its files may hold together. */
    readonly maxBytes: number,
  ) {}

  static async create(parent: string = tmpdir(), maxBytes: number = 2 * 1024 ** 3): Promise<SnapshotSpool> {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, not ${maxBytes}`);
    await mkdir(parent, { recursive: true });
    await removeAbandoned(parent);
    const dir = join(parent, `${folderPrefix}${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(dir);
    return new SnapshotSpool(dir, maxBytes);
  }

  /** Writes one page's body; fails with SpoolFullError, writing nothing, if it does not fit. */
  async write(body: string): Promise<SpooledBody> {
    const bytes = Buffer.byteLength(body);
    if (this.used + bytes > this.maxBytes) {
      throw new SpoolFullError(`The snapshot spool is full (${this.used} of ${this.maxBytes} bytes used, a page of ${bytes} more): raise SHAPE_SNAPSHOT_SPOOL_MAX_MB`);
    }
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
  }

  /** Bytes held by the pages not yet released. */
  get usedBytes(): number {
    return this.used;
  }

  /** Removes the folder and everything in it. */
  async close(): Promise<void> {
    this.files.clear();
    this.used = 0;
    // A reading stopped by the close may still be writing its page: rm retries a folder refilled meanwhile.
    await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  }
}
