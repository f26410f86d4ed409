/**
 * A copy of the unsent mutations kept outside the device database (localStorage in a browser), so
 * that a database which can no longer be opened (STORE_CORRUPT) and has to be deleted does not take
 * the user's unsent work with it: the new database restores the queue from here, under the same
 * device identity, and sends it once that user logs in (the server skips what it already has).
 *
 * Best effort by design: a journal that cannot be written (storage full, private mode) never fails
 * a mutation; the database stays the record.
 */
import type { Actor } from '@niaga/mutators';

export interface JournaledMutation {
  readonly id: number;
  readonly clientID: string;
  readonly name: string;
  readonly args: unknown;
  readonly createdAt: string;
}

export interface JournalRecord {
  readonly clientGroupID: string;
  readonly clientID: string;
  readonly lastMutationID: number;
  /** Whose mutations they are: only that user's login sends them. */
  readonly actor: Actor;
  readonly mutations: readonly JournaledMutation[];
}

export interface QueueJournal {
  read(): JournalRecord | undefined;
  /** undefined: nothing unsent (or the device was reset on purpose). */
  write(record: JournalRecord | undefined): void;
}

/** In memory (tests, or a process that keeps its database elsewhere). */
export function memoryJournal(): QueueJournal {
  let kept: string | undefined;
  return {
    read: () => (kept === undefined ? undefined : (JSON.parse(kept) as JournalRecord)),
    write: (record) => void (kept = record === undefined ? undefined : JSON.stringify(record)),
  };
}

/** The part of the DOM's Storage used here, so Node code type-checks without the DOM. */
interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** In the browser's localStorage under `key`; a journal that does nothing where there is none. */
export function localStorageJournal(key: string): QueueJournal {
  const storage = (globalThis as { localStorage?: StorageLike }).localStorage;
  return {
    read() {
      try {
        const text = storage?.getItem(key);
        return text ? (JSON.parse(text) as JournalRecord) : undefined;
      } catch {
        return undefined;
      }
    },
    write(record) {
      try {
        if (record === undefined || record.mutations.length === 0) storage?.removeItem(key);
        else storage?.setItem(key, JSON.stringify(record));
      } catch {
        // Full or unavailable: the database still has the queue.
      }
    },
  };
}
