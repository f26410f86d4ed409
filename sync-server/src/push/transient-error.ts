import { pgErrorCode, POOL_TIMEOUT } from '@niaga/db';

/**
 * Whether a failure is the database's momentary trouble (retry the push later, advance nothing;
 * an event consumer retries the event without counting it against dropping it) rather than
 * something about the mutation or event itself (record it as rejected and move on, or the
 * client's queue would be blocked for ever).
 */
const transientSqlStates = [
  '08', // connection exception
  '40001', // serialization failure
  '40P01', // deadlock detected
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
 * 57014 (query_canceled) is a statement that ran past statement_timeout, most often because the
 * database was slow or the statement waited for a lock (without a lock_timeout), or one cancelled
 * from outside: pg_cancel_backend() by an operator ("due to user request"). This server never
 * cancels its own statements, and a shutdown ends sessions with 57P01, not 57014. Every one of
 * these rolled the transaction back and says nothing against the mutation or event itself, so all
 * are retried.
 *
 * A poison mutation (one that would time out every time, say an order of thousands of lines on a
 * slow database) is then never recorded as rejected: each push of it answers 503, the device
 * retries it with backoff, and its queue shows the error, with the mutations behind it waiting.
 * That beats silently dropping a user's order because the database was slow for a moment; the
 * cure for a real poison mutation is an operator's (a longer timeout, a faster query). An event
 * consumer likewise retries such an event without counting it towards dropping it.
 */
// POOL_TIMEOUT: no pooled connection came free, or the database did not accept a new one, in time.
const transientNodeCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', POOL_TIMEOUT]);

export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (transientNodeCodes.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return transientSqlStates.some((state) => code.startsWith(state));
  }
  // node-postgres reports a dropped connection without a code.
  return /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed/i.test(error.message);
}

/** A database constraint a mutation broke: its args or the state it met, not the server. */
export function constraintViolation(error: unknown): { constraint: string | undefined; message: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (typeof code !== 'string' || !code.startsWith('23')) return undefined;
  return { constraint: typeof constraint === 'string' ? constraint : undefined, message: error.message };
}

/**
 * A value in a mutation's arguments that the database cannot take: text holding a NUL (22021) or
 * a JSON escape of one or of half a surrogate pair (22P05), a number out of its column's range
 * (22003), a string too long for its column (22001). The device sent it; the server is not at fault.
 */
const unstorableStates: ReadonlySet<string | undefined> = new Set(['22021', '22P05', '22003', '22001']);

export function unstorableValue(error: unknown): { sqlState: string; message: string } | undefined {
  const code = pgErrorCode(error);
  if (!(error instanceof Error) || code === undefined || !unstorableStates.has(code)) return undefined;
  return { sqlState: code, message: error.message };
}
