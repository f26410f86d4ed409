import { DomainError } from './errors.ts';

/** Keyset cursor: the sort column's value as Postgres text, and the row id. Opaque to clients. */
export interface Cursor {
  sortValue: string | null;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sortValue, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [sortValue, id] = parsed as unknown[];
      // A NUL is in no value a list returned, and Postgres text cannot hold one.
      if ((typeof sortValue === 'string' || sortValue === null) && typeof id === 'string' && !id.includes('\u0000') && !sortValue?.includes('\u0000')) return { sortValue, id };
    }
  } catch {
    // fall through
  }
  throw new DomainError('INVALID_CURSOR', 'The cursor is not one this list returned; start again without it');
}
