/**
 * The shape transport with the official client against a scripted server, for a timing the real
 * server cannot be made to produce on demand: SSE batches still queued behind a slow store when
 * the stream's next request gets a 409 (and the client drops its handle).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from 'vitest';
import { RefreshFailedError, SessionExpiredError } from './session.ts';
import { rowMismatch, startShapeTransport } from './shape-transport.ts';
import { until } from './test-support/test-helpers.ts';
import type { ShapeCursor } from './transaction-aligner.ts';

const schema = JSON.stringify({ id: { type: 'int4' } });
const json = (body: unknown, status: number, headers: Record<string, string>) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const upToDate = (lsn: number) => ({ headers: { control: 'up-to-date', global_last_seen_lsn: String(lsn) } });
const insert = (id: number, lsn?: number) => ({ key: `"t"/"${id}"`, value: { id: String(id) }, headers: { operation: 'insert', ...(lsn === undefined ? {} : { lsn: String(lsn) }) } });

/** Snapshot (handle h1) → one SSE response of three transactions, then closed → 409 without a handle → snapshot (h2) → waits. */
function scriptedServer(): typeof fetch {
  let requests = 0;
  return async (_input, init) => {
    requests += 1;
    switch (requests) {
      case 1:
        return json([insert(1), upToDate(2)], 200, { 'electric-handle': 'h1', 'electric-offset': '2_0', 'electric-schema': schema, 'electric-up-to-date': '' });
      case 2: {
        const events = [3, 6, 9].map((lsn) => `data: ${JSON.stringify(insert(lsn, lsn))}\n\ndata: ${JSON.stringify(upToDate(lsn))}\n\n`).join('');
        return new Response(events, { headers: { 'content-type': 'text/event-stream', 'electric-handle': 'h1', 'electric-offset': '2_0', 'electric-cursor': '1', 'electric-up-to-date': '' } });
      }
      case 3:
        return json([{ headers: { control: 'must-refetch' } }], 409, {});
      case 4:
        return json([insert(1), upToDate(10)], 200, { 'electric-handle': 'h2', 'electric-offset': '10_0', 'electric-schema': schema, 'electric-up-to-date': '' });
      default:
        return new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
  };
}

test('SSE batches handed over after a 409 keep their own handle: no cursor pairs an offset with no handle', async () => {
  const cursors: ShapeCursor[] = [];
  const transport = startShapeTransport({
    serverURL: 'http://niaga.test',
    tables: ['t'],
    session: { authorization: () => 'Bearer token', refresh: () => Promise.resolve() },
    fetch: scriptedServer(),
    liveSse: true,
    livePokes: false,
    cursors: new Map(),
    onBatch: async (_table, _messages, cursor) => {
      cursors.push(cursor);
      await sleep(1000); // a slow store: the SSE batches, and the 409 after them, come in meanwhile
    },
    onSchema: () => {},
    onResponse: () => {},
    onTransientError: () => {},
    onFatal: (_table, error) => {
      throw error;
    },
  });
  try {
    await until(() => cursors.at(-1), (cursor) => cursor?.handle === 'h2', 'the snapshot after the refetch');
    expect(cursors).toEqual([
      { handle: 'h1', offset: '2_0' },
      { handle: 'h1', offset: '3_0' },
      { handle: 'h1', offset: '6_0' },
      { handle: 'h1', offset: '9_0' },
      { handle: '', offset: '-1' }, // the must-refetch
      { handle: 'h2', offset: '10_0' },
    ]);
  } finally {
    transport.stop();
  }
});

test('a 503 the official client waits out is reported as SERVER_BUSY with the server’s reason, and the stream goes on after it', async () => {
  let requests = 0;
  const fetch: typeof globalThis.fetch = async (_input, init) => {
    requests += 1;
    if (requests === 1) return json({ code: 'SNAPSHOT_BUSY', message: 'Every reader of big snapshots is busy' }, 503, { 'retry-after': '1' });
    if (requests === 2) return json([insert(1), upToDate(2)], 200, { 'electric-handle': 'b1', 'electric-offset': '2_0', 'electric-schema': schema, 'electric-up-to-date': '' });
    return new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
  };
  const { transport, transient, fatal, batches: cursors } = transportOver('busy', fetch); // not the other test's table: the official client remembers handles by URL
  try {
    await until(() => cursors.length, (count) => count > 0, 'the snapshot after the 503');
    expect(transient).toEqual([{ code: 'SERVER_BUSY', message: 'Every reader of big snapshots is busy', table: 'busy' }]);
    expect(cursors).toEqual([{ handle: 'b1', offset: '2_0' }]);
    expect(fatal).toEqual([]);
  } finally {
    transport.stop();
  }
});

/** A transport of one table over `fetch`, collecting what it reports. */
function transportOver(table: string, fetch: typeof globalThis.fetch, refresh: () => Promise<void> = () => Promise.resolve(), authorization: () => string = () => 'Bearer token') {
  const transient: { code: string; message: string; table: string | undefined }[] = [];
  const fatal: unknown[] = [];
  const batches: ShapeCursor[] = [];
  const transport = startShapeTransport({
    serverURL: 'http://niaga.test',
    tables: [table],
    session: { authorization, refresh },
    fetch,
    liveSse: false,
    livePokes: false,
    cursors: new Map(),
    onBatch: async (_table, _messages, cursor) => {
      batches.push(cursor);
    },
    onSchema: () => {},
    onResponse: () => {},
    onTransientError: (code, error, at) => transient.push({ code, message: error instanceof Error ? error.message : String(error), table: at }),
    onFatal: (_table, error) => fatal.push(error),
  });
  return { transport, transient, fatal, batches };
}

const hangUntilAborted = (init: RequestInit | undefined) =>
  new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));

test('a token refresh that fails for a passing reason (a 502, no network) is retried later, not the end of the table', async () => {
  let requests = 0;
  let refreshes = 0;
  const { transport, transient, fatal, batches } = transportOver(
    'refresh-502',
    async (_input, init) => {
      requests += 1;
      if (requests <= 2) return json({ code: 'TOKEN_EXPIRED', message: 'expired' }, 401, {});
      if (requests === 3) return json([insert(1), upToDate(2)], 200, { 'electric-handle': 'r1', 'electric-offset': '2_0', 'electric-schema': schema, 'electric-up-to-date': '' });
      return hangUntilAborted(init);
    },
    async () => {
      refreshes += 1;
      if (refreshes === 1) throw new RefreshFailedError('Token refresh failed with HTTP 502');
    },
  );
  try {
    await until(() => batches.length, (count) => count > 0, 'the snapshot after the refresh came back');
    expect(fatal).toEqual([]);
    expect(transient.map(({ code, table }) => ({ code, table }))).toContainEqual({ code: 'SERVER_ERROR', table: 'refresh-502' });
  } finally {
    transport.stop();
  }
});

test('a 5xx the official client retries by itself is reported meanwhile; a passing 404 is retried, not final', async () => {
  let requests = 0;
  const { transport, transient, fatal, batches } = transportOver('flaky', async (_input, init) => {
    requests += 1;
    if (requests === 1) return new Response('<html>Bad gateway</html>', { status: 502 });
    if (requests === 2) return json({ code: 'ROUTE_NOT_FOUND', message: 'deploying' }, 404, {});
    if (requests === 3) return json([insert(1), upToDate(2)], 200, { 'electric-handle': 'f1', 'electric-offset': '2_0', 'electric-schema': schema, 'electric-up-to-date': '' });
    return hangUntilAborted(init);
  });
  try {
    await until(() => batches.length, (count) => count > 0, 'the snapshot after the 502 and the 404');
    expect(fatal).toEqual([]);
    expect(transient.map(({ code, table }) => ({ code, table }))).toContainEqual({ code: 'SERVER_ERROR', table: 'flaky' });
  } finally {
    transport.stop();
  }
}, 20_000);

test('409s over and over (a new handle each time) are retried with growing pauses, not in a tight loop', async () => {
  let requests = 0;
  const { transport } = transportOver('refetch-loop', async () => {
    requests += 1;
    return json([{ headers: { control: 'must-refetch' } }], 409, { 'electric-handle': `loop-${requests}` });
  });
  try {
    await sleep(5_000);
    // The official client alone makes 10-13 requests a second here (48-67 in these 5 s).
    expect(requests).toBeLessThan(15);
  } finally {
    transport.stop();
  }
}, 20_000);

test('logged out, a table stops (final, no request, no retry loop), and a reconnect stops it again the same way', async () => {
  let requests = 0;
  const loggedOut = () => {
    throw new SessionExpiredError('The session ended: log in again');
  };
  const { transport, transient, fatal } = transportOver(
    'logged-out',
    async () => {
      requests += 1;
      return json([], 200, {});
    },
    () => Promise.resolve(),
    loggedOut,
  );
  try {
    await until(() => fatal.length, (count) => count === 1, 'the table to stop');
    transport.reconnect();
    await until(() => fatal.length, (count) => count === 2, 'the table to stop again');
    await sleep(500);
    expect(fatal.length).toBe(2);
    expect(fatal.every((error) => error instanceof SessionExpiredError)).toBe(true);
    expect(transient).toEqual([]);
    expect(requests).toBe(0);
  } finally {
    transport.stop();
  }
});

test('rows are checked against the columns their answer declared: a column left out, a number or bool that is not one, an array that is not one', () => {
  const columns = new Map([
    ['id', { name: 'id', type: 'uuid' }],
    ['on_hand', { name: 'on_hand', type: 'int4' }],
    ['ratio', { name: 'ratio', type: 'float8' }],
    ['active', { name: 'active', type: 'bool' }],
    ['tags', { name: 'tags', type: 'text', dims: 1 }],
    ['extra', { name: 'extra', type: 'jsonb' }],
  ]);
  const row = (value: Record<string, unknown>) => [{ headers: { operation: 'insert' }, value }];
  expect(rowMismatch(row({ id: 'a', on_hand: 3, ratio: Number.NaN, active: false, tags: ['x'], extra: { any: 1 } }), columns)).toBeUndefined();
  expect(rowMismatch(row({ id: 'a', on_hand: null, active: null }), columns)).toBeUndefined();
  expect(rowMismatch([{ headers: { control: 'up-to-date' } }], columns)).toBeUndefined();
  expect(rowMismatch(row({ id: 'a', name: 'Main' }), columns)).toMatch(/name is not in it/);
  expect(rowMismatch(row({ id: 'a', on_hand: Number.NaN }), columns)).toMatch(/on_hand is declared int4/);
  expect(rowMismatch(row({ id: 'a', on_hand: '3' }), columns)).toMatch(/on_hand is declared int4/);
  expect(rowMismatch(row({ id: 'a', active: 'Main' }), columns)).toMatch(/active is declared bool/);
  expect(rowMismatch(row({ id: 'a', tags: 'x' }), columns)).toMatch(/tags is declared text\[\]/);
  expect(rowMismatch(row({ id: 7 }), columns)).toMatch(/id is declared uuid/);
  // No schema known (an answer without the header): nothing to check against.
  expect(rowMismatch(row({ anything: 1 }), undefined)).toBeUndefined();
});
