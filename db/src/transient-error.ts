import { PgErrorCode, POOL_TIMEOUT } from './executor.ts';

/**
 * The one definition of "the database is momentarily unable": a failure that rolled back the
 * whole transaction and says nothing against what the transaction was asked to do, so running it
 * again later is right. The push path answers 503 and advances nothing (the device retries), an
 * event consumer retries the event without counting it towards dropping it, and a REST route
 * answers 503 UNAVAILABLE with retry-after. Anything else (a broken constraint, a bad value, a
 * bug) is about the request, mutation or event itself.
 */
const transientSqlStates = [
  '08', // connection exception
  PgErrorCode.serializationFailure, // 40001: see below
  PgErrorCode.deadlockDetected, // 40P01: see below
  '53', // insufficient resources (too many connections, disk full, out of memory)
  '55P03', // lock not available: waited past lock_timeout for a row another transaction holds
  '57014', // query canceled: see below
  '25P03', // idle in transaction session timeout: the server stalled between statements; the connection is gone
  '57P01', // admin shutdown
  '57P02', // crash shutdown
  '57P03', // cannot connect now (starting up)
  '57P05', // idle session timeout: the connection is gone
  '58', // system error (I/O)
];
/*
 * 40001 and 40P01: Postgres chose this transaction as the victim of a conflict with another one
 * and rolled it back whole; run again, it meets the other one committed. (The push path retries a
 * deadlock a few times itself before giving up with it; see sync-server's apply-push.ts.)
 *
 * 57014 (query_canceled) is a statement that ran past statement_timeout, most often because the
 * database was slow or the statement waited for a lock (without a lock_timeout), or one cancelled
 * from outside: pg_cancel_backend() by an operator ("due to user request"). This server never
 * cancels its own statements, and a shutdown ends sessions with 57P01, not 57014. Every one of
 * these rolled the transaction back and says nothing against the work itself, so all are retried.
 *
 * A poison mutation (one that would time out every time, say an order of thousands of lines on a
 * slow database) is then never recorded as rejected: each push of it answers 503, the device
 * retries it with backoff, and its queue shows the error, with the mutations behind it waiting.
 * That beats silently dropping a user's order because the database was slow for a moment; the
 * cure for a real poison mutation is an operator's (a longer timeout, a faster query). An event
 * consumer likewise retries such an event without counting it towards dropping it.
 */
// POOL_TIMEOUT: no pooled connection came free, or the database did not accept a new one, in time.
const transientNodeCodes: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', POOL_TIMEOUT]);

// node-postgres reports a dropped connection without a code.
const droppedConnection = /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed/i;

/** Whether `error` is the database's momentary trouble, worth running the whole transaction again for. */
export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (transientNodeCodes.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return transientSqlStates.some((state) => code.startsWith(state));
  }
  return droppedConnection.test(error.message);
}
