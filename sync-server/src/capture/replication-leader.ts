/**
 * Exactly one instance captures changes: the one holding a session advisory lock on a dedicated
 * connection. The others stand by and retry every few seconds; when the leader dies its
 * connection closes, the lock is free and a standby takes over from the slot's confirmed position.
 * On any error the leader logs, stops streaming, gives up the lock and retries with backoff.
 */
import type { Executor } from '@niaga/db';
import { queryableOf } from '@niaga/db/pg';
import pg from 'pg';
import { CaptureError, CaptureErrorCode } from './capture-error.ts';
import { silentLogger, type CaptureLogger } from './capture-logger.ts';
import { defaultPublicationName, defaultSlotName, ensureCaptureSetup } from './pg-capture-setup.ts';
import type { AppendResult } from './log-appender.ts';
import { openStreamSession, type StreamSession, type TruncateEvent } from './replication-stream.ts';

export interface ReplicationLeaderOptions {
  /** For the leadership lock and the replication connection. */
  readonly connectionString: string;
  /** For setup, appends and status queries. */
  readonly db: Executor;
  /** 'schema.table' names to capture (`syncedTables`). */
  readonly tables: readonly string[];
  readonly slotName?: string;
  readonly publicationName?: string;
  readonly logger?: CaptureLogger;
  /** Every error that ended a leadership term or an attempt to get one. */
  readonly onError?: (error: unknown) => void;
  /** After a transaction that truncated synced tables was processed (also on redelivery). */
  readonly onTruncate?: (event: TruncateEvent) => void | Promise<void>;
  /** A batch is appended when it holds this many transactions… */
  readonly maxBatchTransactions?: number;
  /**
   * …or this many changes (a bigger transaction goes whole, on its own). It bounds what capture
   * holds and sends at once in a burst of big transactions, and how much the feed takes in at once
   * (bench/fan-out.ts: uncapped batches of ~17,000 changes took the server to 590–760 MB, ~480–540
   * MB with 10,000). Smaller caps answer live requests more often with less, which costs more
   * requests: at 2,000, the selective run answered 36,000 long-polls instead of 13,000.
   */
  readonly maxBatchChanges?: number;
  /**
   * …or, when no append is running, this long after its first transaction arrived (0, the
   * default: at once; transactions arriving during an append gather into the next batch).
   */
  readonly maxBatchDelayMs?: number;
  /** How often a standby tries to become leader. */
  readonly standbyRetryMs?: number;
  readonly retryBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /** How long a new leader waits for a previous leader's replication connection before terminating it. */
  readonly slotTakeoverMs?: number;
  readonly visibilityTimeoutMs?: number;
  /** Warn when the slot retains more WAL than this while nobody streams from it. */
  readonly lagWarnBytes?: number;
  readonly lagCheckIntervalMs?: number;
  /**
   * How often the streaming leader writes a heartbeat message into the WAL. It arrives in order
   * after everything before it, so appending it lets the slot move past WAL of unsynced tables.
   */
  readonly heartbeatMs?: number;
  /** Test hook: runs after a batch's append committed, before the slot is acknowledged. Throwing ends the term. */
  readonly beforeAcknowledge?: (lsn: bigint) => void | Promise<void>;
}

export interface ReplicationLeader {
  /** Holds the leadership lock (it may still be setting up or waiting for the slot). */
  isLeader(): boolean;
  /** Receiving the slot's changes right now. */
  isStreaming(): boolean;
  /** Stops streaming, gives up leadership and stands by no more. */
  stop(): Promise<void>;
  /** Bytes of WAL the slot retains beyond what the log confirmed; null when the slot does not exist. */
  lagBytes(): Promise<number | null>;
  /**
   * Calls `listener` after each append committed, with the rows it wrote: this process's change
   * feed takes them from here (ChangeFeed.offerAppended) instead of reading them back. Returns
   * what stops the calls.
   */
  onAppended(listener: (appended: AppendResult) => void): () => void;
}

const leaderLockPrefix = 'niaga.replication_leader:';

export function startReplicationLeader(options: ReplicationLeaderOptions): ReplicationLeader {
  const { db, connectionString } = options;
  const slotName = options.slotName ?? defaultSlotName;
  const publicationName = options.publicationName ?? defaultPublicationName;
  const logger = options.logger ?? silentLogger;
  const standbyRetryMs = options.standbyRetryMs ?? 3000;
  const backoff = options.retryBackoff ?? { initialMs: 250, maxMs: 10_000 };
  const slotTakeoverMs = options.slotTakeoverMs ?? 10_000;
  const lockKey = leaderLockPrefix + slotName;

  const appendListeners = new Set<(appended: AppendResult) => void>();
  let stopped = false;
  let leader = false;
  let session: StreamSession | undefined;
  let lockClient: pg.Client | undefined;
  let onLockLost: ((error: unknown) => void) | undefined;
  let signalStop!: () => void;
  const stopSignal = new Promise<void>((resolve) => (signalStop = resolve));

  const sleep = (ms: number) => Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), stopSignal]);
  const report = (error: unknown, message: string) => {
    logger.error({ err: error, code: error instanceof CaptureError ? error.code : undefined }, message);
    options.onError?.(error);
  };

  const connectLockClient = async (): Promise<pg.Client> => {
    if (lockClient) return lockClient;
    const client = new pg.Client({ connectionString, application_name: 'niaga-capture-leader', keepAlive: true, options: '-c TimeZone=UTC' });
    // The lock lives as long as this connection: losing it means another instance may lead now.
    client.on('error', () => {});
    client.on('end', () => {
      if (lockClient === client) lockClient = undefined;
      onLockLost?.(new CaptureError(CaptureErrorCode.connectionLost, 'The leadership connection closed'));
    });
    await client.connect();
    lockClient = client;
    return client;
  };

  const closeLockClient = async () => {
    const client = lockClient;
    lockClient = undefined;
    await client?.end().catch(() => {});
  };

  /** A previous leader's walsender can outlive its client for a moment; after a grace period, end it. */
  const waitForSlotFree = async () => {
    const deadline = Date.now() + slotTakeoverMs;
    while (!stopped) {
      const { rows } = await db.query<{ pid: number | null }>('select active_pid as pid from pg_replication_slots where slot_name = $1', [slotName]);
      const pid = rows[0]?.pid ?? null;
      if (pid === null) return;
      if (Date.now() > deadline) {
        logger.warn({ slotName, pid }, 'terminating the replication connection a previous leader left on the slot');
        await db.query('select pg_terminate_backend($1)', [pid]);
        await sleep(100);
        continue;
      }
      await sleep(100);
    }
  };

  const lead = async (client: pg.Client) => {
    const lockLost = new Promise<never>((_, reject) => (onLockLost = reject));
    lockLost.catch(() => {});
    const setup = await ensureCaptureSetup(db, { tables: options.tables, slotName, publicationName });
    logger.info({ slotName, publicationName, ...setup }, 'capture setup checked');
    await Promise.race([waitForSlotFree(), lockLost]);
    if (stopped) return;
    session = await openStreamSession({
      connectionString,
      // The log is appended over the leadership connection: its own, never waiting behind requests for the pool.
      db: queryableOf(client),
      slotName,
      publicationName,
      maxBatchTransactions: options.maxBatchTransactions ?? 500,
      maxBatchChanges: options.maxBatchChanges ?? 10_000,
      maxBatchDelayMs: options.maxBatchDelayMs ?? 0,
      visibilityTimeoutMs: options.visibilityTimeoutMs ?? 5000,
      logger,
      onTruncate: options.onTruncate,
      beforeAcknowledge: options.beforeAcknowledge,
      onAppended: (appended) => {
        for (const listener of appendListeners) {
          try {
            listener(appended);
          } catch (error) {
            // A listener's failure is its own: the rows are in the log, and capture goes on.
            logger.warn({ err: error }, 'a listener of appended changes failed');
          }
        }
      },
    });
    await Promise.race([session.ended, lockLost, stopSignal]);
  };

  const run = async () => {
    let failures = 0;
    while (!stopped) {
      let client: pg.Client;
      try {
        client = await connectLockClient();
        const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [lockKey]);
        if (!rows[0]?.locked) {
          await sleep(standbyRetryMs);
          continue;
        }
      } catch (error) {
        await closeLockClient();
        if (stopped) break;
        report(error, 'could not try for replication leadership');
        await sleep(delay(backoff, failures++));
        continue;
      }
      leader = true;
      logger.info({ slotName }, 'became replication leader');
      let failed = false;
      const startedAt = Date.now();
      try {
        await lead(client);
      } catch (error) {
        failed = !stopped;
        if (failed) report(error, 'replication leader term ended');
      } finally {
        onLockLost = undefined;
        await session?.stop();
        session = undefined;
        // Ending the connection releases the session lock whatever state the connection is in.
        await closeLockClient();
        leader = false;
        logger.info({ slotName }, 'gave up replication leadership');
      }
      if (!failed) continue;
      // A term that streamed for a while was healthy: start the backoff over.
      if (Date.now() - startedAt > 30_000) failures = 0;
      await sleep(delay(backoff, failures++));
    }
    await closeLockClient();
  };

  const lagBytes = async (): Promise<number | null> => {
    const { rows } = await db.query<{ lag: string | null }>(
      'select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text as lag from pg_replication_slots where slot_name = $1',
      [slotName],
    );
    const lag = rows[0]?.lag;
    return lag === undefined || lag === null ? null : Number(lag);
  };

  const lagWarnBytes = options.lagWarnBytes ?? 1024 ** 3;
  const lagMonitor = setInterval(() => {
    void (async () => {
      const { rows } = await db.query<{ lag: string | null; active: boolean }>(
        'select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text as lag, active from pg_replication_slots where slot_name = $1',
        [slotName],
      );
      const slot = rows[0];
      if (slot && !slot.active && slot.lag !== null && Number(slot.lag) > lagWarnBytes) {
        logger.warn({ slotName, lagBytes: Number(slot.lag) }, 'the replication slot retains WAL and no leader is streaming from it');
      }
    })().catch(() => {});
  }, options.lagCheckIntervalMs ?? 30_000);
  lagMonitor.unref();

  const heartbeat = setInterval(() => {
    if (session?.isStreaming()) void db.query(`select pg_logical_emit_message(true, 'niaga.heartbeat', '')`).catch(() => {});
  }, options.heartbeatMs ?? 5_000);
  heartbeat.unref();

  const running = run();

  return {
    isLeader: () => leader,
    isStreaming: () => session?.isStreaming() ?? false,
    lagBytes,
    onAppended: (listener) => {
      appendListeners.add(listener);
      return () => void appendListeners.delete(listener);
    },
    stop: async () => {
      stopped = true;
      clearInterval(lagMonitor);
      clearInterval(heartbeat);
      signalStop();
      await running;
    },
  };
}

function delay(backoff: { initialMs: number; maxMs: number }, failures: number): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 20));
  return base * (0.8 + Math.random() * 0.4);
}
