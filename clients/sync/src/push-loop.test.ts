import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { openDexieStore } from './dexie/index.ts';
import { LocalStoreError, type LocalStore } from './local-store.ts';
import { PushLoop, type PushResult } from './push-loop.ts';
import { RefreshFailedError, type Session } from './session.ts';
import { fakeIDB } from './test-support/test-helpers.ts';

test('a push loop stopped while it reads its queue stops at once, not after its idle wait', async () => {
  const store = await openDexieStore({ name: `push-loop-${randomUUID()}`, indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange });
  let reading!: () => void;
  const readingQueue = new Promise<void>((resolve) => (reading = resolve));
  // The queue is read slowly: the stop comes while the loop is in the middle of a round.
  const slowStore: LocalStore = Object.assign(Object.create(store) as LocalStore, {
    transaction: async <T>(fn: Parameters<LocalStore['transaction']>[0]) => {
      reading();
      await new Promise((resolve) => setTimeout(resolve, 100));
      return store.transaction(fn) as Promise<T>;
    },
  });
  const loop = new PushLoop({
    serverURL: 'http://127.0.0.1:1',
    clientGroupID: 'group',
    store: slowStore,
    session: {} as Session, // unused: nothing is queued, so nothing is sent
    fetch: () => Promise.reject(new Error('nothing is queued: nothing may be sent')),
    backoff: { initialMs: 10, maxMs: 10 },
    onResult: () => {},
  });
  try {
    loop.start();
    await readingQueue;
    const started = Date.now();
    await loop.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
  } finally {
    await store.close();
  }
});

/** A loop over a Dexie store holding `count` pending mutations of one client, pushing to `fetch`. */
async function loopWith(count: number, fetch: typeof globalThis.fetch, options: { pushTimeoutMs?: number; session?: Session } = {}) {
  const store = await openDexieStore({ name: `push-loop-${randomUUID()}`, indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange });
  const put = (id: number) =>
    store.transaction((tx) => tx.putPending({ id, clientID: 'me', name: 'stock.adjust', args: {}, createdAt: new Date().toISOString(), undo: [], reads: { keys: [], lists: [] } }));
  for (let id = 1; id <= count; id++) await put(id);
  const results: PushResult[] = [];
  const loop = new PushLoop({
    serverURL: 'http://sync.test',
    clientGroupID: 'group',
    store,
    session: options.session ?? ({ authorization: () => 'Bearer t', refresh: () => Promise.resolve() } as unknown as Session),
    fetch,
    backoff: { initialMs: 200, maxMs: 200 },
    onResult: (result) => results.push(result),
    ...(options.pushTimeoutMs === undefined ? {} : { pushTimeoutMs: options.pushTimeoutMs }),
  });
  return { store, loop, results, put };
}

const answer = (body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } }));

test('an answer that acknowledges none of the pushed mutations is a failure, backed off, not a success pushed again at once', async () => {
  let pushes = 0;
  const { store, loop, results } = await loopWith(1, () => {
    pushes++;
    return answer({});
  });
  try {
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await loop.stop();
    expect(pushes).toBeGreaterThan(0);
    expect(pushes).toBeLessThanOrEqual(4); // one, then one per 100-200 ms of backoff (it was hundreds)
    expect(results[0]).toMatchObject({ kind: 'failed', code: 'BAD_RESPONSE' });
  } finally {
    await store.close();
  }
});

test('an acknowledgement past what was sent is taken only as far as the push went: later mutations are still pushed', async () => {
  const sent: number[][] = [];
  const { store, loop, put } = await loopWith(2, async (_url, init) => {
    const body = JSON.parse(init?.body as string) as { mutations: { id: number }[] };
    sent.push(body.mutations.map((mutation) => mutation.id));
    return answer({ lastMutationIDs: { me: 1000 } });
  });
  try {
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await put(3);
    loop.wake();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await loop.stop();
    expect(sent).toEqual([[1, 2], [3]]);
  } finally {
    await store.close();
  }
});

test('a push the server never answers is given up after the push timeout and tried again; stop() ends one in flight at once', async () => {
  let pushes = 0;
  const hanging: typeof fetch = (_url, init) => {
    pushes++;
    return new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
  };
  const { store, loop, results } = await loopWith(1, hanging, { pushTimeoutMs: 100 });
  try {
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(pushes).toBeGreaterThanOrEqual(2);
    expect(results[0]).toMatchObject({ kind: 'offline' });
    expect(String((results[0] as { error: unknown }).error)).toMatch(/did not answer the push within/);
    const started = Date.now();
    await loop.stop();
    expect(Date.now() - started).toBeLessThan(200);
  } finally {
    await store.close();
  }
});

test('a token refresh that fails with a 5xx is a failed push (the server answers), not offline; the mutations stay', async () => {
  const session = { authorization: () => 'Bearer t', refresh: () => Promise.reject(new RefreshFailedError('Token refresh failed with HTTP 502')) } as unknown as Session;
  const { store, loop, results } = await loopWith(1, () => Promise.resolve(new Response('{}', { status: 401 })), { session });
  try {
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await loop.stop();
    expect(results[0]).toMatchObject({ kind: 'failed', code: 'REFRESH_FAILED' });
    expect((await store.transaction((tx) => tx.listPending())).length).toBe(1);
  } finally {
    await store.close();
  }
});

test('a queue the store cannot read (closed under the loop) is a failed push with the store’s code, backed off', async () => {
  let pushes = 0;
  const { store, loop, results } = await loopWith(1, () => {
    pushes++;
    return answer({ lastMutationIDs: { me: 1 } });
  });
  await store.close();
  loop.start();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await loop.stop();
  expect(pushes).toBe(0);
  expect(results[0]).toMatchObject({ kind: 'failed', code: 'STORE_CLOSED' });
  expect(results.length).toBeLessThanOrEqual(3);
});

test('a token refresh whose new tokens the store cannot save (disk full) is a failed push with the store’s code, not offline', async () => {
  const session = { authorization: () => 'Bearer t', refresh: () => Promise.reject(new LocalStoreError('STORE_QUOTA', 'The local database failed: No space left on device')) } as unknown as Session;
  const { store, loop, results } = await loopWith(1, () => Promise.resolve(new Response('{}', { status: 401 })), { session });
  try {
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await loop.stop();
    expect(results[0]).toMatchObject({ kind: 'failed', code: 'STORE_QUOTA' });
  } finally {
    await store.close();
  }
});
