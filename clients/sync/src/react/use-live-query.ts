import { useEffect, useRef, useState, type DependencyList } from 'react';
import type { LocalStore, StoreTx } from '../local-store.ts';

export interface LiveQueryResult<T> {
  /** The latest result; undefined until the first one (and again after the deps change). */
  readonly data: T | undefined;
  /** The latest run's failure, cleared by the next success; `data` keeps the last good result. */
  readonly error: unknown;
  /** No result yet for the current store, tables and deps. */
  readonly loading: boolean;
}

const initial: LiveQueryResult<never> = { data: undefined, error: undefined, loading: true };

/**
 * Runs `query` in one transaction of `store` and again after every committed transaction that
 * wrote one of `tables`, on any store (PGlite, Dexie), this tab's writes or another's.
 *
 * `deps` lists what `query` uses besides its transaction, as for useEffect: when they (or the store
 * or tables) change, the query runs anew and `data` starts over. A newer result is never replaced by
 * an older one: runs do not overlap, and writes during a run lead to one more run after it.
 *
 * The store's transaction rules hold for `query`: await only the StoreTx's calls (on Dexie, any
 * other wait ends the transaction early).
 */
export function useLiveQuery<T>(store: LocalStore, query: (tx: StoreTx) => Promise<T>, tables: readonly string[], deps: DependencyList = []): LiveQueryResult<T> {
  const [result, setResult] = useState<LiveQueryResult<T>>(initial);
  const latestQuery = useRef(query);
  useEffect(() => {
    latestQuery.current = query;
  });
  // A new array of the same tables on each render must not resubscribe.
  const tablesKey = JSON.stringify(tables);

  useEffect(() => {
    const watched = new Set(JSON.parse(tablesKey) as string[]);
    let active = true;
    let running = false;
    let again = false;
    setResult(initial);

    const run = (): void => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      again = false;
      void store
        .transaction((tx) => latestQuery.current(tx))
        .then(
          (data) => {
            if (active) setResult({ data, error: undefined, loading: false });
          },
          (error: unknown) => {
            if (active) setResult((previous) => ({ data: previous.data, error, loading: false }));
          },
        )
        .finally(() => {
          running = false;
          if (active && again) run();
        });
    };

    // Subscribed before the first run, so a write committed while it runs is not missed.
    const unsubscribe = store.subscribe((written) => {
      for (const table of written) {
        if (watched.has(table)) return run();
      }
    });
    run();
    return () => {
      active = false;
      unsubscribe();
    };
    // The deps are the caller's, as for useEffect.
  }, [store, tablesKey, ...deps]);

  return result;
}
