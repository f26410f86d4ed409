import { pgErrorCode } from '@niaga/db';

/*
 * Database errors that are a mutation's own fault: recorded as its rejection, so its client's queue
 * moves on. Whether an error is instead the database's momentary trouble (advance nothing, answer
 * 503) is @niaga/db's isTransientError, shared with the event consumers and the REST routes.
 */

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
