/**
 * Work in progress (units scanned, counts typed) kept in localStorage under the picker's name, so
 * a reload, a crash or a closed tab loses nothing that was not yet submitted. Submitted work lives
 * in the sync queue instead, and is removed from here.
 */
import { useDevice } from '@niaga/app-kit';
import { useCallback, useRef, useState } from 'react';

function readRaw(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Writes `value` (undefined removes the key); false when the browser refused (storage full or disabled). */
function writeRaw(key: string, value: unknown): boolean {
  try {
    // Nothing in progress (undefined, or an empty sheet) leaves nothing behind.
    const empty = value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
    if (empty) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch (error) {
    console.warn(`Work in progress could not be saved on this device (${key})`, error);
    return false;
  }
}

const keyOf = (userID: string, name: string): string => `niaga-warehouse:${userID}:${name}`;

/** The saved work `name` of user `userID`, read once (for lists that show what is in progress). */
export function peekSavedWork<T>(userID: string, name: string): T | undefined {
  const raw = readRaw(keyOf(userID, name));
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

export interface SavedWork<T> {
  readonly value: T;
  /** Sets (or with a function, updates from the latest saved value) and saves at once. */
  readonly set: (update: T | ((previous: T) => T)) => void;
  /** Forgets the saved work (it was submitted). */
  readonly clear: () => void;
  /** The last save failed: the work is on screen but would not survive a reload. */
  readonly unsaved: boolean;
}

/**
 * State that survives reloads: `name` is scoped to the logged-in user (one device may change hands).
 * `fallback` must be a stable value (a module constant).
 */
export function useSavedWork<T>(name: string, fallback: T): SavedWork<T> {
  const { actor } = useDevice();
  const key = keyOf(actor.sub, name);
  const [, rerender] = useState(0);
  const [unsaved, setUnsaved] = useState(false);
  // The work as last set on this page (what the screen shows, also when saving failed), by key.
  const memory = useRef(new Map<string, T>());

  const read = useCallback((): T => {
    const known = memory.current.get(key);
    if (known !== undefined) return known;
    const raw = readRaw(key);
    let value = fallback;
    if (raw !== null) {
      try {
        value = JSON.parse(raw) as T;
      } catch {
        value = fallback;
      }
    }
    memory.current.set(key, value);
    return value;
  }, [key, fallback]);

  const set = useCallback(
    (update: T | ((previous: T) => T)) => {
      const next = typeof update === 'function' ? (update as (previous: T) => T)(read()) : update;
      memory.current.set(key, next);
      setUnsaved(!writeRaw(key, next));
      rerender((count) => count + 1);
    },
    [key, read],
  );

  const clear = useCallback(() => {
    memory.current.set(key, fallback);
    writeRaw(key, undefined);
    setUnsaved(false);
    rerender((count) => count + 1);
  }, [key, fallback]);

  return { value: read(), set, clear, unsaved };
}
