/**
 * IndexedDB and Dexie errors as LocalStoreError codes. Dexie wraps the browser's error (`inner`),
 * bulk operations collect theirs (`failures`), so the whole chain is searched for the one that
 * says what happened.
 */
import { LocalStoreError } from '../local-store.ts';

type Code = LocalStoreError['code'];

/** Error names (DOMException or Dexie) that mean the data on disk cannot be trusted or read. */
const corruptNames = new Set(['VersionError', 'DataError', 'UnknownError', 'NotReadableError']);
/** The transaction ended while its work still ran: the work awaited something that was not a store call. */
const endedEarlyNames = new Set(['TransactionInactiveError', 'PrematureCommitError']);

function* chain(error: unknown, depth = 0): Generator<unknown> {
  if (depth > 8 || typeof error !== 'object' || error === null) return;
  yield error;
  const { inner, cause, failures } = error as { inner?: unknown; cause?: unknown; failures?: unknown };
  if (inner !== undefined) yield* chain(inner, depth + 1);
  if (cause !== undefined) yield* chain(cause, depth + 1);
  if (Array.isArray(failures)) for (const failure of failures) yield* chain(failure, depth + 1);
}

const nameOf = (error: unknown): string => (typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : '');

export function localStoreCode(error: unknown): Code {
  const names = new Set([...chain(error)].map(nameOf));
  if (names.has('QuotaExceededError')) return 'STORE_QUOTA';
  if (names.has('DatabaseClosedError')) return 'STORE_CLOSED';
  if ([...names].some((name) => corruptNames.has(name))) return 'STORE_CORRUPT';
  return 'STORE_FAILED';
}

/** `error` as a LocalStoreError (unchanged if it is one already), `context` saying what failed; the engine's error is the cause. */
export function toLocalStoreError(error: unknown, context: string): LocalStoreError {
  if (error instanceof LocalStoreError) return error;
  const names = [...chain(error)].map(nameOf);
  const detail = error instanceof Error ? error.message : String(error);
  const hint = names.some((name) => endedEarlyNames.has(name))
    ? ' (the IndexedDB transaction ended before its work did: inside transaction(), await only the store’s own calls; writes made before that point may have been committed)'
    : '';
  return new LocalStoreError(localStoreCode(error), `${context}: ${detail}${hint}`, { cause: error });
}
