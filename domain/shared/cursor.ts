import { DomainError } from './errors.ts';

/**
 * Keyset cursor of a list sorted by a column: that column's value as Postgres text, and the row id.
 * A cursor is base64url JSON, readable by whoever holds it, so it may only carry values the caller
 * was shown: a list whose sort column the caller may not see is keyed on the id alone (`IdCursor`).
 */
export interface Cursor {
  sortValue: string | null;
  id: string;
}

/** Keyset cursor of a list ordered by the row id alone. */
export interface IdCursor {
  id: string;
}

export function encodeCursor(cursor: Cursor | IdCursor): string {
  const key = 'sortValue' in cursor ? [cursor.sortValue, cursor.id] : [cursor.id];
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalidCursor(): DomainError {
  return new DomainError('INVALID_CURSOR', 'The cursor is not one this list returned; start again without it');
}

function parse(text: string): unknown[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(parsed)) return parsed as unknown[];
  } catch {
    // fall through
  }
  throw invalidCursor();
}

/**
 * A cursor of the form this list issues to this caller: `sorted` lists want `[sortValue, id]`, the
 * others `[id]`. One of the other form (say an admin's, keyed on a column this caller does not see,
 * or one written by hand to probe that column) is refused.
 */
export function decodeCursor(text: string, sorted: true): Cursor;
export function decodeCursor(text: string, sorted: false): IdCursor;
export function decodeCursor(text: string, sorted: boolean): Cursor | IdCursor {
  const parsed = parse(text);
  const id = parsed.at(-1);
  if (typeof id !== 'string' || !uuid.test(id)) throw invalidCursor();
  if (!sorted) {
    if (parsed.length === 1) return { id };
    throw invalidCursor();
  }
  const sortValue = parsed[0];
  // A NUL is in no value a list returned, and Postgres text cannot hold one.
  if (parsed.length === 2 && (typeof sortValue === 'string' || sortValue === null) && !sortValue?.includes('\u0000')) return { sortValue, id };
  throw invalidCursor();
}
