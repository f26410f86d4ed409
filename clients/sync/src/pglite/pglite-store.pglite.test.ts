import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import { LeaderChangedError } from '@electric-sql/pglite/worker';
import { afterAll, expect, test, vi } from 'vitest';
import { LocalStoreError, type TableSpec } from '../local-store.ts';
import { describeStoreContract } from '../contract/store-contract.ts';
import { emptyDatabase } from './empty-database.ts';
import { openPgliteStore } from './pglite-store.ts';

const folder = mkdtempSync(join(tmpdir(), 'niaga-pglite-store-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describeStoreContract('pglite', async (name) => {
  const dataDir = name === undefined ? undefined : join(folder, name);
  const fresh = dataDir === undefined || !existsSync(dataDir);
  return openPgliteStore({ ...(dataDir ? { dataDir } : {}), ...(fresh ? { template: await emptyDatabase() } : {}) });
});

// An app that opens the PGlite itself (the agent app does, to query it with SQL) may leave out the
// store's parsers: the store must still read dates and timestamps as the text its row model compares.
describeStoreContract('pglite opened by the caller, with PGlite default parsers', async (name) => {
  const dataDir = join(folder, `caller-${name ?? crypto.randomUUID()}`);
  const fresh = !existsSync(dataDir);
  return openPgliteStore({ db: new PGlite(dataDir, fresh ? { loadDataDir: await emptyDatabase() } : {}) });
});

// Two PGlites over one dataDir do not see each other's writes and overwrite each other's files (a
// pending mutation written through one is gone once both have closed): the second store is refused.
test('a dataDir another open store holds is refused with STORE_IN_USE, and can be opened once that store is closed', async () => {
  const dataDir = join(folder, 'held');
  const first = await openPgliteStore({ dataDir, template: await emptyDatabase() });
  await first.transaction((tx) => tx.setMeta('written', 'by the first'));
  await expect(openPgliteStore({ dataDir })).rejects.toMatchObject({ name: 'LocalStoreError', code: 'STORE_IN_USE' });
  await first.close();
  const again = await openPgliteStore({ dataDir });
  expect(await again.transaction((tx) => tx.getMeta('written'))).toBe('by the first');
  await again.close();
});

// Tabs share one database through PGlite's multi-tab worker, each with its own store over its own
// PGliteWorker; here, two stores over one PGlite in this process stand for them.
const notes: TableSpec = { name: 'test.notes', columns: [{ name: 'id', type: 'text' }, { name: 'body', type: 'text' }] };
const tags: TableSpec = { name: 'test.tags', columns: [{ name: 'id', type: 'text' }, { name: 'label', type: 'text' }] };

test('subscribers hear the writes another store over the same database commits (another tab), and only once they are committed', async () => {
  const db = new PGlite({ loadDataDir: await emptyDatabase() });
  const here = await openPgliteStore({ db });
  const there = await openPgliteStore({ db });
  await here.ensureTables([notes]);
  const heard: string[][] = [];
  here.subscribe((tables) => heard.push([...tables]));
  await expect(there.transaction(async (tx) => {
    await tx.put(notes.name, { id: 'n0', body: 'rolled back' });
    throw new Error('not this one');
  })).rejects.toThrow('not this one');
  await there.transaction((tx) => tx.put(notes.name, { id: 'n1', body: 'from another tab' }));
  await vi.waitFor(() => expect(heard).toEqual([[notes.name]]));
  expect(await here.transaction((tx) => tx.getMany(notes.name, ['n0', 'n1']))).toEqual([undefined, { id: 'n1', body: 'from another tab' }]);
  await here.close();
});

test('a table another store over the same database ensured is written here with its columns once that store has committed to it', async () => {
  const db = new PGlite({ loadDataDir: await emptyDatabase() });
  const here = await openPgliteStore({ db });
  const there = await openPgliteStore({ db });
  const heard: string[][] = [];
  here.subscribe((tables) => heard.push([...tables]));
  await there.ensureTables([tags]);
  await there.transaction((tx) => tx.put(tags.name, { id: 't1', label: 'first' }));
  await vi.waitFor(() => expect(heard).toEqual([[tags.name]]));
  await here.transaction((tx) => tx.put(tags.name, { id: 't2', label: 'written here' }));
  expect(await there.transaction((tx) => tx.list(tags.name, {}))).toEqual([
    { id: 't1', label: 'first' },
    { id: 't2', label: 'written here' },
  ]);
  await here.close();
});

test('closing one of two stores over one PGlite leaves the other working; the last to close closes the PGlite', async () => {
  const db = new PGlite({ loadDataDir: await emptyDatabase() });
  const first = await openPgliteStore({ db });
  const second = await openPgliteStore({ db });
  await first.ensureTables([notes]);
  await first.close();
  await second.transaction((tx) => tx.put(notes.name, { id: 'n1', body: 'after the first closed' }));
  expect(await second.transaction((tx) => tx.get(notes.name, 'n1'))).toEqual({ id: 'n1', body: 'after the first closed' });
  expect(db.closed).toBe(false);
  await second.close();
  expect(db.closed).toBe(true);
});

/** `db`, but failing with PGlite's LeaderChangedError where a PGliteWorker does when the tab whose worker held the database goes. */
function leaderGoes(db: PGlite, at: 'opening' | 'after-commit'): PGliteInterface {
  return new Proxy(db, {
    get(target, key) {
      if (at === 'opening' && key === 'exec') return () => Promise.reject(new LeaderChangedError());
      if (at === 'after-commit' && key === 'transaction') {
        return async (work: Parameters<PGlite['transaction']>[0]) => {
          await target.transaction(work);
          throw new LeaderChangedError();
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

test('a database whose worker changes hands while the store opens is a store failure to retry, not a corrupt database to delete', async () => {
  const db = new PGlite({ loadDataDir: await emptyDatabase() });
  await expect(openPgliteStore({ db: leaderGoes(db, 'opening') })).rejects.toMatchObject({ name: 'LocalStoreError', code: 'STORE_FAILED' });
  await db.close();
});

test('a transaction whose worker changed hands before it answered fails as a store error, and the other stores hear the tables it wrote (it may have committed)', async () => {
  const db = new PGlite({ loadDataDir: await emptyDatabase() });
  const here = await openPgliteStore({ db });
  const there = await openPgliteStore({ db: leaderGoes(db, 'after-commit') });
  await here.ensureTables([notes]);
  const heard: string[][] = [];
  here.subscribe((tables) => heard.push([...tables]));
  const failure = there.transaction((tx) => tx.put(notes.name, { id: 'n1', body: 'committed, unconfirmed' }));
  const error = await failure.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(LocalStoreError);
  expect((error as LocalStoreError).code).toBe('STORE_FAILED');
  expect((error as LocalStoreError).message).toMatch(/may or may not have committed/);
  await vi.waitFor(() => expect(heard).toEqual([[notes.name]]));
  expect(await here.transaction((tx) => tx.get(notes.name, 'n1'))).toEqual({ id: 'n1', body: 'committed, unconfirmed' });
  await here.close();
  // (The proxy is another PGlite to the store: closing it again fails, the PGlite being closed.)
  await there.close().catch(() => undefined);
});

test('close() lets a transaction already running finish and commit, refuses later ones, then closes the database', async () => {
  const dataDir = join(folder, 'closing');
  const store = await openPgliteStore({ dataDir, template: await emptyDatabase() });
  await store.ensureTables([notes]);
  let proceed!: () => void;
  const gate = new Promise<void>((resolve) => (proceed = resolve));
  const running = store.transaction(async (tx) => {
    await tx.put(notes.name, { id: 'n1', body: 'first half' });
    await gate;
    await tx.put(notes.name, { id: 'n2', body: 'second half' });
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const closing = store.close();
  await expect(store.transaction((tx) => tx.get(notes.name, 'n1'))).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  proceed();
  await running;
  await closing;
  const reopened = await openPgliteStore({ dataDir });
  expect(await reopened.transaction((tx) => tx.list(notes.name, {}))).toEqual([
    { id: 'n1', body: 'first half' },
    { id: 'n2', body: 'second half' },
  ]);
  await reopened.close();
});
