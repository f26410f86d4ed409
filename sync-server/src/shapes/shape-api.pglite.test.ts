import { get as httpGet, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { ShapeStream, type Row } from '@electric-sql/client';
import { liveHoldParam } from '@niaga/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite, shapeOf, type ShapeServer, startShapeServer } from '../test-support/shape-server.ts';

let db: PgliteExecutor;
let server: ShapeServer;
const territoryA = 'aaaaaaaa-0000-4000-8000-000000000001';
const territoryB = 'bbbbbbbb-0000-4000-8000-000000000002';

beforeAll(async () => {
  db = await capturedPglite();
  await db.exec(`
    insert into catalog.products (id, sku, name, price_minor, cost_minor) values
      ('00000000-0000-4000-8000-000000000001', 'P-1', 'Tea', 1000, 500),
      ('00000000-0000-4000-8000-000000000002', 'P-2', 'Coffee', 2000, 900);
    insert into customers.customers (id, name, territory_id) values
      ('00000000-0000-4000-8000-00000000c001', 'Shop A1', '${territoryA}'),
      ('00000000-0000-4000-8000-00000000c002', 'Shop B1', '${territoryB}');`);
  server = await startShapeServer(db);
}, 60_000);
afterAll(async () => {
  await server.close();
  await db.close();
});

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the official ShapeStream against the embedded server', () => {
  test('an admin syncs products, then sees a live insert, update and delete', async () => {
    const token = await server.token('admin');
    const stream = new ShapeStream({ url: server.shapeUrl, params: { table: 'catalog.products' }, headers: { Authorization: `Bearer ${token}` } });
    const shape = shapeOf(stream);
    try {
      const rows = await shape.rows;
      expect(rows.map((row) => row.sku).sort()).toEqual(['P-1', 'P-2']);
      expect(rows[0]).toHaveProperty('cost_minor');
      await db.query(`insert into catalog.products (id, sku, name, price_minor) values ('00000000-0000-4000-8000-000000000003', 'P-3', 'Milk', 300)`);
      await waitFor(() => shape.currentRows.length === 3);
      await db.query(`update catalog.products set price_minor = 350 where sku = 'P-3'`);
      await waitFor(() => shape.currentRows.some((row) => row.sku === 'P-3' && row.price_minor === 350n));
      await db.query(`delete from catalog.products where sku = 'P-3'`);
      await waitFor(() => shape.currentRows.length === 2);
    } finally {
      stream.unsubscribeAll();
    }
  });

  test('an agent sees only their territory; a customer moving territory moves in and out without a resync', async () => {
    const agentA = new ShapeStream({ url: server.shapeUrl, params: { table: 'customers.customers' }, headers: { Authorization: `Bearer ${await server.token('agent', { territory_id: territoryA })}` } });
    const agentB = new ShapeStream({ url: server.shapeUrl, params: { table: 'customers.customers' }, headers: { Authorization: `Bearer ${await server.token('agent', { territory_id: territoryB })}` } });
    const shapeA = shapeOf(agentA);
    const shapeB = shapeOf(agentB);
    const names = (rows: Row[]) => rows.map((row) => row.name).sort();
    try {
      expect(names(await shapeA.rows)).toEqual(['Shop A1']);
      expect(names(await shapeB.rows)).toEqual(['Shop B1']);
      await db.query(`update customers.customers set territory_id = $1 where name = 'Shop A1'`, [territoryB]);
      await waitFor(() => shapeA.currentRows.length === 0 && shapeB.currentRows.length === 2);
      expect(names(shapeB.currentRows)).toEqual(['Shop A1', 'Shop B1']);
    } finally {
      agentA.unsubscribeAll();
      agentB.unsubscribeAll();
    }
  });

  test('bool values bind on PGlite too: a shopper (rule filter active = t) and a where on a bool column with a literal and a param', async () => {
    // PGlite serializes a parameter by its inferred type and refuses the text 't' for a bool.
    await db.query(`insert into catalog.products (id, sku, name, price_minor, active) values ('00000000-0000-4000-8000-000000000009', 'P-9', 'Retired', 100, false)`);
    try {
      const shopper = new ShapeStream({ url: server.shapeUrl, params: { table: 'catalog.products' }, headers: { Authorization: `Bearer ${await server.token('customer', { customer_id: '00000000-0000-4000-8000-00000000c001' })}` } });
      const admin = { Authorization: `Bearer ${await server.token('admin')}` };
      const retired = new ShapeStream({ url: server.shapeUrl, params: { table: 'catalog.products', where: 'active = false' }, headers: admin });
      const byParam = new ShapeStream({ url: server.shapeUrl, params: { table: 'catalog.products', where: 'active = $1', params: { '1': 'true' } }, headers: admin });
      try {
        expect((await shapeOf(shopper).rows).map((row) => row.sku).sort()).toEqual(['P-1', 'P-2']);
        expect((await shapeOf(retired).rows).map((row) => row.sku)).toEqual(['P-9']);
        expect((await shapeOf(byParam).rows).map((row) => row.sku).sort()).toEqual(['P-1', 'P-2']);
      } finally {
        for (const stream of [shopper, retired, byParam]) stream.unsubscribeAll();
      }
    } finally {
      await db.query(`delete from catalog.products where sku = 'P-9'`);
    }
  });
});

describe('live hold (niaga_live_hold_ms)', () => {
  test('a live request asking not to be held is answered at once, up to date; one asking for 1.5 s is held that long; a bad value is a 400', async () => {
    const headers = { Authorization: `Bearer ${await server.token('admin')}` };
    const first = await fetch(`${server.shapeUrl}?table=catalog.products&offset=-1`, { headers });
    await first.arrayBuffer();
    const at = `table=catalog.products&handle=${first.headers.get('electric-handle')}&offset=${first.headers.get('electric-offset')}&live=true`;
    const started = Date.now();
    const quick = await fetch(`${server.shapeUrl}?${at}&${liveHoldParam}=0`, { headers });
    expect(quick.status).toBe(200);
    const answer = (await quick.json()) as { headers: Record<string, unknown> }[];
    expect(answer).toHaveLength(1);
    expect(answer[0]!.headers.control).toBe('up-to-date');
    expect(quick.headers.get('electric-cursor')).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(1000);

    const held = Date.now();
    const slow = await fetch(`${server.shapeUrl}?${at}&${liveHoldParam}=1500`, { headers });
    await slow.arrayBuffer();
    expect(Date.now() - held).toBeGreaterThanOrEqual(1400);

    const bad = await fetch(`${server.shapeUrl}?${at}&${liveHoldParam}=soon`, { headers });
    expect(bad.status).toBe(400);
    const refusal = (await bad.json()) as { code: string; message: string };
    expect(refusal.code).toBe('VALIDATION_FAILED');
    expect(refusal.message).toContain(liveHoldParam);
  });
});

describe('refusals', () => {
  const get = async (query: string, token?: string) =>
    fetch(`${server.shapeUrl}?${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  test('no token is 401, a table outside the rules 403, a hidden column 403, a bad where 400', async () => {
    expect((await get('table=catalog.products&offset=-1')).status).toBe(401);
    const agent = await server.token('agent', { territory_id: territoryA });
    const forbiddenTable = await get('table=auth.users&offset=-1', agent);
    expect(forbiddenTable.status).toBe(403);
    const hidden = await get('table=catalog.products&offset=-1&columns=id,cost_minor', agent);
    expect(hidden.status).toBe(403);
    expect(await hidden.json()).toMatchObject({ code: 'FORBIDDEN' });
    const badWhere = await get(`table=catalog.products&offset=-1&where=${encodeURIComponent('1=1) OR (1=1')}`, agent);
    expect(badWhere.status).toBe(400);
    expect(await badWhere.json()).toMatchObject({ code: 'INVALID_WHERE' });
    const whereOnHidden = await get(`table=catalog.products&offset=-1&where=${encodeURIComponent('cost_minor > 0')}`, agent);
    expect(whereOnHidden.status).toBe(400);
  });

  test('the schema header describes the columns as the client parses them', async () => {
    const response = await get('table=catalog.products&offset=-1&columns=id,sku,tags,price_minor,active,created_at', await server.token('admin'));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.headers.get('electric-schema')!)).toEqual({
      id: { type: 'uuid', not_null: true, pk_index: 0 },
      sku: { type: 'text', not_null: true },
      tags: { type: 'text', dims: 1, not_null: true },
      price_minor: { type: 'int8', not_null: true },
      active: { type: 'bool', not_null: true },
      created_at: { type: 'timestamptz', not_null: true },
    });
  });

  test('an unknown handle is a 409 must-refetch; a malformed offset is a 400', async () => {
    const admin = await server.token('admin');
    const stale = await get('table=catalog.products&offset=5_0&handle=nope', admin);
    expect(stale.status).toBe(409);
    expect(await stale.json()).toEqual([{ headers: { control: 'must-refetch' } }]);
    expect((await get('table=catalog.products&offset=0/16B3F70', admin)).status).toBe(400);
  });
});

describe('SSE live mode', () => {
  test('the official client in SSE mode receives live changes', async () => {
    const token = await server.token('admin');
    const sseResponses: string[] = [];
    const fetchClient: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input instanceof Request ? input.url : input).includes('live_sse=true')) sseResponses.push(response.headers.get('content-type') ?? '');
      return response;
    };
    const stream = new ShapeStream({ url: server.shapeUrl, params: { table: 'catalog.products' }, headers: { Authorization: `Bearer ${token}` }, liveSse: true, fetchClient });
    const shape = shapeOf(stream);
    try {
      const before = (await shape.rows).length;
      await db.query(`insert into catalog.products (id, sku, name, price_minor) values ('00000000-0000-4000-8000-0000000000f1', 'SSE-1', 'Live', 100)`);
      await waitFor(() => shape.currentRows.length === before + 1);
      await db.query(`update catalog.products set name = 'Live 2' where sku = 'SSE-1'`);
      await waitFor(() => shape.currentRows.some((row) => row.name === 'Live 2'));
      expect(sseResponses.length).toBeGreaterThan(0);
      expect(sseResponses.every((type) => type.startsWith('text/event-stream'))).toBe(true);
    } finally {
      stream.unsubscribeAll();
    }
  });
});

describe('SSE to a client that stops reading', () => {
  test('nothing is buffered for it past its socket: the stream waits for the socket to drain, and the client, reading again, gets every change once', async () => {
    const token = await server.token('admin');
    const params = new URLSearchParams({ table: 'catalog.products', where: "sku like 'SLOW-%'" });
    const first = await fetch(`${server.shapeUrl}?${params.toString()}&offset=-1`, { headers: { Authorization: `Bearer ${token}` } });
    await first.arrayBuffer();
    const live = `${server.shapeUrl}?${params.toString()}&handle=${encodeURIComponent(first.headers.get('electric-handle')!)}&offset=${first.headers.get('electric-offset')!}&live=true`;
    const serverSockets: Socket[] = [];
    const onConnection = (socket: Socket) => serverSockets.push(socket);
    server.app.server.on('connection', onConnection);

    // The stalled client: it takes the stream's headers, then reads nothing.
    const received: string[] = [];
    let stalled!: IncomingMessage;
    const request = httpGet(`${live}&live_sse=true`, { headers: { Authorization: `Bearer ${token}` } }, (response) => {
      stalled = response;
      response.pause();
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => received.push(chunk));
    });
    request.on('error', () => {});
    await waitFor(() => stalled !== undefined);
    const ours = serverSockets.find((socket) => socket.remotePort === request.socket?.localPort)!;
    expect(ours).toBeDefined();

    // ~30 MB of changes (the loopback's socket buffers hold less than half of it), in transactions of 10 rows.
    const rows = 300;
    const description = 'd'.repeat(100_000);
    for (let batch = 0; batch < rows / 10; batch++) {
      await db.query(
        `insert into catalog.products (sku, name, price_minor, description) select 'SLOW-' || n, 'Slow', 1, $1 from generate_series($2::int, $2::int + 9) n`,
        [description, batch * 10],
      );
    }
    // A client that does read has every change: the stalled stream was woken as often.
    const reader = await fetch(`${live.replace('&live=true', '')}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(reader.status).toBe(200);
    let caughtUp = 0;
    for (let offset = reader.headers.get('electric-offset')!, body = (await reader.json()) as { headers: { operation?: string } }[]; ; ) {
      caughtUp += body.filter((message) => message.headers.operation === 'insert').length;
      if (caughtUp >= rows) break;
      const next = await fetch(`${live.replace(/&offset=[^&]*/, `&offset=${offset}`).replace('&live=true', '')}`, { headers: { Authorization: `Bearer ${token}` } });
      offset = next.headers.get('electric-offset')!;
      body = (await next.json()) as { headers: { operation?: string } }[];
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    // At most about one read's messages beyond what the socket took (without backpressure: the rest of the 30 MB).
    expect(ours.writableLength).toBeLessThan(3_000_000);

    stalled.resume();
    const inserted = () => (received.join('').match(/"operation":"insert"/g) ?? []).length;
    await waitFor(() => inserted() >= rows, 30_000);
    const slugs = [...received.join('').matchAll(/"sku":"(SLOW-\d+)"/g)].map((match) => match[1]);
    expect(new Set(slugs).size).toBe(rows);
    expect(slugs).toHaveLength(rows);
    request.destroy();
    server.app.server.off('connection', onConnection);
  }, 120_000);
});

describe('truncate', () => {
  test('truncating a synced table makes its clients refetch: the old rows go, new rows arrive', async () => {
    await db.exec(`
      insert into inventory.warehouses (id, code, name) values ('00000000-0000-4000-8000-0000000000a1', 'TR-1', 'Truncated');`);
    const token = await server.token('admin');
    const stream = new ShapeStream({ url: server.shapeUrl, params: { table: 'inventory.warehouses' }, headers: { Authorization: `Bearer ${token}` } });
    const shape = shapeOf(stream);
    try {
      expect((await shape.rows).map((row) => row.code)).toContain('TR-1');
      await db.exec('truncate inventory.warehouses cascade');
      await waitFor(() => shape.currentRows.length === 0);
      await db.query(`insert into inventory.warehouses (code, name) values ('TR-2', 'After')`);
      await waitFor(() => shape.currentRows.length === 1 && shape.currentRows[0]!.code === 'TR-2');
    } finally {
      stream.unsubscribeAll();
    }
  });
});

describe('paginated snapshots', () => {
  test('a snapshot bigger than a page arrives in pages at 0_1, 0_2, … and the client gets every row once', async () => {
    const paged = await startShapeServer(db, { SHAPE_SNAPSHOT_PAGE_ROWS: '10' });
    const offsets: string[] = [];
    const fetchClient: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      offsets.push(`${new URL(String(input instanceof Request ? input.url : input)).searchParams.get('offset')}->${response.headers.get('electric-offset')}`);
      return response;
    };
    await db.query(`insert into catalog.categories (name, slug) select 'Category ' || n, 'category-' || n from generate_series(1, 25) n`);
    const stream = new ShapeStream({ url: paged.shapeUrl, params: { table: 'catalog.categories' }, headers: { Authorization: `Bearer ${await paged.token('admin')}` }, fetchClient });
    const shape = shapeOf(stream);
    try {
      const rows = await shape.rows;
      expect(rows).toHaveLength(25);
      expect(new Set(rows.map((row) => row.slug)).size).toBe(25);
      expect(offsets.slice(0, 3).map((o) => o.split('->')[0])).toEqual(['-1', '0_1', '0_2']);
      await db.query(`insert into catalog.categories (name, slug) values ('Late', 'late')`);
      await waitFor(() => shape.currentRows.length === 26);
    } finally {
      stream.unsubscribeAll();
      await paged.close();
    }
  });

  test('a snapshot of exactly a whole number of pages ends with an empty page, and the client gets every row once', async () => {
    const paged = await startShapeServer(db, { SHAPE_SNAPSHOT_PAGE_ROWS: '13' });
    const offsets: string[] = [];
    const fetchClient: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      offsets.push(String(new URL(String(input instanceof Request ? input.url : input)).searchParams.get('offset')));
      return response;
    };
    const stream = new ShapeStream({ url: paged.shapeUrl, params: { table: 'catalog.categories' }, headers: { Authorization: `Bearer ${await paged.token('admin')}` }, fetchClient });
    const shape = shapeOf(stream);
    try {
      const rows = await shape.rows;
      expect(rows).toHaveLength(26); // the 25 and 'Late' of the test before
      expect(new Set(rows.map((row) => row.slug)).size).toBe(26);
      expect(offsets.slice(0, 3)).toEqual(['-1', '0_1', '0_2']);
    } finally {
      stream.unsubscribeAll();
      await paged.close();
    }
  });
});
