/**
 * One tab of an app whose tabs share a PGlite database through PGlite's multi-tab worker
 * (pglite-worker.ts): the tab's store over its own PGliteWorker, for pglite-tabs.browser.test.ts.
 */
import { PGliteWorker } from '@electric-sql/pglite/worker';
import { definePage } from '@niaga/testing/page';
import type { LocalStore, TableSpec } from '../local-store.ts';
import { openPgliteStore } from '../pglite/pglite-store.ts';

const notes: TableSpec = { name: 'test.notes', columns: [{ name: 'id', type: 'text' }, { name: 'body', type: 'text' }] };

/** The page's globals this file uses (the package type-checks without the DOM library). */
const page = globalThis as unknown as { Worker: new (url: string, options: { type: 'module' }) => Worker };

let db: PGliteWorker | undefined;
let store: LocalStore | undefined;
const heard: string[][] = [];
const opened = () => {
  if (!store) throw new Error('open the store first');
  return store;
};

definePage({
  /** Opens this tab's store over the shared database `name` (idb://). */
  async open(name: string) {
    db = await PGliteWorker.create(new page.Worker('/pglite-worker.js', { type: 'module' }), { dataDir: `idb://${name}` });
    store = await openPgliteStore({ db });
    store.subscribe((tables) => heard.push([...tables]));
  },
  /** Whether this tab's worker holds the database (once told so: see the test). */
  isLeader: () => db?.isLeader ?? false,
  ensureNotes: () => opened().ensureTables([notes]),
  put: (id: string, body: string) => opened().transaction((tx) => tx.put(notes.name, { id, body })),
  /** Writes a note, then fails: nothing of it may land, nor be heard. */
  putThenFail: (id: string) =>
    opened()
      .transaction(async (tx) => {
        await tx.put(notes.name, { id, body: 'rolled back' });
        throw new Error('the work failed');
      })
      .catch((error: unknown) => (error instanceof Error ? error.message : String(error))),
  notes: () => opened().transaction((tx) => tx.list(notes.name, {})),
  heard: () => [...heard],
  close: () => opened().close(),
});
