/**
 * Wakes waiting long-polls when the log grows. One LISTEN per instance (Postgres NOTIFY from
 * the log appender, or PGlite's in-process notify from the capture trigger); on each
 * notification it asks once which tables changed and wakes only the waiters of those tables.
 */
import type { Executor } from '@niaga/db';
import type { PgExecutor } from '@niaga/db/pg';
import type { PgliteExecutor } from '@niaga/db/pglite';
import pg from 'pg';

export const changeChannel = 'niaga_change_log';

export interface Waiter {
  readonly changed: Promise<void>;
  cancel(): void;
}

export class ChangeNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();
  private seenLsn = 0n;
  private checking: Promise<void> | undefined;
  private recheck = false;
  private stopListening: (() => Promise<void>) | undefined;

  constructor(private readonly db: Executor) {}

  async start(): Promise<void> {
    const { rows } = await this.db.query<{ lsn: string }>('select coalesce(max(lsn), 0)::text as lsn from sync.change_log');
    this.seenLsn = BigInt(rows[0]!.lsn);
    this.stopListening = this.db.dialect === 'pglite' ? await this.listenPglite(this.db as PgliteExecutor) : await this.listenPg(this.db as PgExecutor);
  }

  /** Set once the server is shutting down: waiting long-polls answer at once. */
  closed = false;

  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    await this.stopListening?.();
  }

  get latestLsn(): bigint {
    return this.seenLsn;
  }

  get waiting(): number {
    let count = 0;
    for (const set of this.waiters.values()) count += set.size;
    return count;
  }

  /** Register before reading the log, so a commit between the read and the wait is not missed. */
  waitFor(table: string): Waiter {
    let wake!: () => void;
    const changed = new Promise<void>((resolve) => (wake = resolve));
    const set = this.waiters.get(table) ?? new Set();
    this.waiters.set(table, set);
    set.add(wake);
    return { changed, cancel: () => set.delete(wake) };
  }

  /** Called on every notification; coalesces bursts into one query at a time. */
  notify(): void {
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = this.wakeChangedTables().finally(() => {
      this.checking = undefined;
      if (this.recheck) {
        this.recheck = false;
        this.notify();
      }
    });
  }

  private async wakeChangedTables(): Promise<void> {
    try {
      const { rows } = await this.db.query<{ table_name: string; lsn: string }>(
        'select table_name, max(lsn)::text as lsn from sync.change_log where lsn > $1 group by table_name',
        [this.seenLsn.toString()],
      );
      for (const row of rows) {
        const lsn = BigInt(row.lsn);
        if (lsn > this.seenLsn) this.seenLsn = lsn;
        this.wake(row.table_name);
      }
    } catch {
      this.wakeAll(); // cannot tell which tables changed: let every waiter re-read
    }
  }

  private wake(table: string): void {
    const set = this.waiters.get(table);
    if (!set) return;
    this.waiters.delete(table);
    for (const wake of set) wake();
  }

  private wakeAll(): void {
    for (const table of [...this.waiters.keys()]) this.wake(table);
  }

  private async listenPglite(db: PgliteExecutor): Promise<() => Promise<void>> {
    const unlisten = await db.db.listen(changeChannel, () => this.notify());
    return unlisten;
  }

  private async listenPg(db: PgExecutor): Promise<() => Promise<void>> {
    let client: pg.Client | undefined;
    let stopped = false;
    const connect = async (): Promise<void> => {
      if (stopped) return;
      const next = new pg.Client({ connectionString: db.connectionString });
      next.on('notification', () => this.notify());
      next.on('error', () => {
        void next.end().catch(() => {});
        if (!stopped) setTimeout(() => void connect().catch(() => {}), 1000);
      });
      await next.connect();
      await next.query(`listen ${changeChannel}`);
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
