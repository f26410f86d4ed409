/**
 * One streaming session of the leader: reads the slot, assembles transactions, appends them in
 * batches and only then acknowledges. It ends (its `ended` promise rejects) on the first error;
 * the leader decides what happens next. Nothing acknowledged is ever beyond what the log holds.
 */
import type { Queryable } from '@niaga/db';
import { LogicalReplicationService, type Pgoutput } from 'pg-logical-replication';
import { CaptureError, CaptureErrorCode } from './capture-error.ts';
import type { CaptureLogger } from './capture-logger.ts';
import { appendTransactions, type AppendResult, type LoggableTransaction } from './log-appender.ts';
import { formatLsn, parseLsn } from './lsn.ts';
import { RawTextPgoutputPlugin, toAssemblerInput } from './pgoutput-decoder.ts';
import { initialAssemblerState, stepAssembler, type AssembledTransaction } from './transaction-assembler.ts';
import { widenXid } from './xid.ts';

/** A transaction truncated synced tables. Nothing is logged for it (a truncate has no rows); shapes of these tables must start over. */
export interface TruncateEvent {
  readonly lsn: bigint;
  readonly xid: bigint;
  readonly tables: readonly string[];
}

export interface StreamSessionOptions {
  readonly connectionString: string;
  /** Where the log is appended: the leader's own connection, so that requests busy with the pool cannot hold capture up. */
  readonly db: Queryable;
  readonly slotName: string;
  readonly publicationName: string;
  readonly maxBatchTransactions: number;
  readonly maxBatchChanges: number;
  readonly maxBatchDelayMs: number;
  readonly visibilityTimeoutMs: number;
  readonly logger: CaptureLogger;
  readonly onTruncate: ((event: TruncateEvent) => void | Promise<void>) | undefined;
  readonly beforeAcknowledge: ((lsn: bigint) => void | Promise<void>) | undefined;
  /** Once an append committed, with what it wrote: this process's change feed takes the rows from here. */
  readonly onAppended: ((appended: AppendResult) => void) | undefined;
}

export interface StreamSession {
  /** Rejects with the reason the session ended; resolves only after stop(). */
  readonly ended: Promise<void>;
  /** True once the server started sending the slot's changes. */
  isStreaming(): boolean;
  /** Stops streaming and waits for a running append; what was not acknowledged is redelivered next time. */
  stop(): Promise<void>;
}

/**
 * The library's periodic status update (and any other caller) passes the last RECEIVED position;
 * this service always reports `flushedUpTo` instead, which only moves once the log holds
 * everything before it.
 */
class GuardedReplicationService extends LogicalReplicationService {
  /** Exclusive: every transaction whose commit record starts before this is in the log. */
  flushedUpTo = 0n;

  override async acknowledge(_lsn: string, ping = false): Promise<boolean> {
    if (this.flushedUpTo <= 0n) return false;
    // The library reports lsn + 1 as written/flushed/applied.
    return super.acknowledge(formatLsn(this.flushedUpTo - 1n), ping);
  }
}

async function confirmedFlush(db: Queryable, slotName: string): Promise<bigint> {
  const { rows } = await db.query<{ lsn: string | null }>('select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = $1', [slotName]);
  const lsn = rows[0]?.lsn;
  return lsn ? parseLsn(lsn) : 0n;
}

/** How old the xid reference may grow before it is taken again (widenXid needs it within 2^31 xids of the batch's). */
const xidReferenceMaxAgeMs = 60_000;

/** The newest xid8 reference: widenXid needs one less than 2^31 transactions from the batch's. */
async function currentXmax(db: Queryable): Promise<bigint> {
  const { rows } = await db.query<{ xmax: string }>('select pg_snapshot_xmax(pg_current_snapshot())::text as xmax');
  return BigInt(rows[0]!.xmax);
}

export async function openStreamSession(options: StreamSessionOptions): Promise<StreamSession> {
  const { db, logger } = options;
  const service = new GuardedReplicationService(
    { connectionString: options.connectionString, options: '-c TimeZone=UTC', application_name: 'niaga-capture' },
    { acknowledge: { auto: false, timeoutSeconds: 10 }, flowControl: { enabled: true } },
  );
  service.flushedUpTo = await confirmedFlush(db, options.slotName);
  let xidReference = 0n;
  let xidReferenceAt = 0;
  const setXidReference = (xmax: bigint) => {
    if (xmax >= xidReference) xidReference = xmax;
    xidReferenceAt = performance.now();
  };
  setXidReference(await currentXmax(db));
  // messages: the leader's heartbeats (pg_logical_emit_message) arrive in WAL order, as empty transactions.
  const plugin = new RawTextPgoutputPlugin({ protoVersion: 1, publicationNames: [options.publicationName], messages: true });

  let finished = false; // failed or stopped: nothing more is appended or acknowledged
  let streaming = false;
  let resolveEnded!: () => void;
  let rejectEnded!: (error: unknown) => void;
  const ended = new Promise<void>((resolve, reject) => {
    resolveEnded = resolve;
    rejectEnded = reject;
  });
  const fail = (error: unknown) => {
    if (finished) return;
    finished = true;
    rejectEnded(error);
  };

  let assembler = initialAssemblerState;
  let pending: AssembledTransaction[] = [];
  let pendingChanges = 0;
  let batchTimer: ReturnType<typeof setTimeout> | undefined;
  let flushesInFlight = 0;
  let flushing: Promise<void> = Promise.resolve();

  const appendAndAcknowledge = async (batch: readonly AssembledTransaction[]) => {
    if (finished) return;
    // Appends refresh the reference; after a long quiet spell (heartbeats failing, say) it is taken anew.
    if (performance.now() - xidReferenceAt > xidReferenceMaxAgeMs) setXidReference(await currentXmax(db));
    const loggable: LoggableTransaction[] = batch.map((transaction) => ({
      lsn: transaction.lsn,
      xid: widenXid(transaction.xid32, xidReference),
      changes: transaction.changes,
      truncatedTables: transaction.truncatedTables,
    }));
    if (finished) return;
    // Appended once every transaction is visible to new snapshots (checked in the same round trip).
    const result = await appendTransactions(db, loggable, options.visibilityTimeoutMs);
    setXidReference(result.xmax);
    if (result.rows.length > 0) options.onAppended?.(result);
    if (result.skipped > 0) logger.info({ skipped: result.skipped, maxLsn: result.maxLsn.toString() }, 'skipped redelivered transactions already in the change log');
    for (const transaction of loggable) {
      if (transaction.truncatedTables.length === 0) continue;
      logger.warn({ lsn: transaction.lsn.toString(), tables: transaction.truncatedTables }, 'synced tables were truncated; nothing logged for them');
      await options.onTruncate?.({ lsn: transaction.lsn, xid: transaction.xid, tables: transaction.truncatedTables });
    }
    const last = loggable[loggable.length - 1]!;
    await options.beforeAcknowledge?.(last.lsn);
    if (finished) return;
    if (last.lsn + 1n > service.flushedUpTo) service.flushedUpTo = last.lsn + 1n;
    await service.acknowledge('');
  };

  const flush = (): Promise<void> => {
    clearTimeout(batchTimer);
    batchTimer = undefined;
    if (pending.length === 0) return flushing;
    const batch = pending;
    pending = [];
    pendingChanges = 0;
    flushesInFlight++;
    flushing = flushing
      .then(() => appendAndAcknowledge(batch))
      .catch(fail)
      .finally(() => {
        flushesInFlight--;
        // What arrived during the append goes next, as one batch.
        if (flushesInFlight === 0 && pending.length > 0 && !finished) schedule();
      });
    return flushing;
  };

  /**
   * Group commit: with no append running, a transaction is appended at once (or after
   * maxBatchDelayMs, if set); while one runs, the next batch gathers and goes when it ends.
   */
  const schedule = () => {
    if (flushesInFlight > 0) return;
    if (options.maxBatchDelayMs <= 0) void flush();
    else batchTimer ??= setTimeout(() => void flush(), options.maxBatchDelayMs);
  };

  service.on('data', async (_lsn: string, message: Pgoutput.Message) => {
    try {
      if (finished) return;
      const input = toAssemblerInput(message);
      if (input === null) return;
      const step = stepAssembler(assembler, input);
      assembler = step.state;
      if (step.completed === null) return;
      pending.push(step.completed);
      pendingChanges += step.completed.changes.length;
      // Backpressure: with flow control the library reads no further until this resolves.
      if (pending.length >= options.maxBatchTransactions || pendingChanges >= options.maxBatchChanges) await flush();
      else schedule();
    } catch (error) {
      fail(error);
    }
  });

  // A keepalive's position can run ahead of changes not yet handed to us, so it never moves the
  // slot: only appended transactions do. Quiet periods are covered by the leader's heartbeat
  // messages, which arrive in WAL order like any transaction (see replication-leader.ts).
  service.on('heartbeat', (_lsn: string, _timestamp: number, shouldRespond: boolean) => {
    if (finished) return;
    if (shouldRespond) void service.acknowledge('');
  });

  service.on('start', () => void (streaming = true));
  service.on('error', (error: unknown) => fail(new CaptureError(CaptureErrorCode.connectionLost, 'The replication connection failed', { cause: error })));

  service.subscribe(plugin, options.slotName).then(
    () => fail(new CaptureError(CaptureErrorCode.connectionLost, 'The replication stream ended')),
    (error: unknown) => fail(error),
  );

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    stopped ??= (async () => {
      finished = true;
      streaming = false;
      clearTimeout(batchTimer);
      await service.destroy().catch(() => {});
      await flushing;
      resolveEnded();
    })();
    return stopped;
  };
  // After a failure the leader calls stop(); a rejection nobody awaits yet must not crash the process.
  ended.catch(() => {});

  return { ended, isStreaming: () => streaming && !finished, stop };
}
