/**
 * A second instance whose LISTEN connection the network drops silently (no FIN, no RST: a NAT or
 * firewall forgetting it), simulated by a TCP proxy that stops passing that connection's bytes.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { ShapeStream } from '@electric-sql/client';
import { createPgExecutor, type PgExecutor } from '@niaga/db/pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { shapeOf, startShapeServer, type ShapeServer } from '../test-support/shape-server.ts';
import { closeBackend, waitFor } from '../test-support/shape-test-kit.ts';

let backend: PgShapeBackend;
let proxy: Server;
let proxied: PgExecutor;
let second: ShapeServer;
/** Sockets of connections that announced themselves as the change feed's, and whether they pass bytes. */
const feedSockets: Socket[] = [];
/** Connections that pass nothing any more (those of the feed when the silence began; its new ones pass). */
const silenced = new Set<Socket>();

beforeAll(async () => {
  backend = await startPgShapeBackend();
  const target = new URL(backend.database.url);
  proxy = createServer((inbound) => {
    const outbound = connect(Number(target.port), target.hostname);
    let isFeed = false;
    inbound.on('data', (chunk: Buffer) => {
      if (!isFeed && chunk.includes('niaga-change-feed')) {
        isFeed = true;
        feedSockets.push(inbound);
      }
      if (!silenced.has(inbound)) outbound.write(chunk);
    });
    outbound.on('data', (chunk: Buffer) => {
      if (!silenced.has(inbound)) inbound.write(chunk);
    });
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  const url = new URL(backend.database.url);
  url.port = String(typeof address === 'object' && address ? address.port : 0);
  proxied = createPgExecutor(url.toString());
  second = await startShapeServer(proxied);
}, 60_000);

afterAll(async () => {
  second?.app.server.closeAllConnections();
  await second?.close();
  await proxied?.close();
  for (const socket of feedSockets) socket.destroy();
  proxy?.close();
  await closeBackend(backend);
});

test("an instance whose listening connection went silent notices within seconds, listens anew and its clients get the changes", async () => {
  const token = await second.token('admin');
  const stream = new ShapeStream({ url: second.shapeUrl, params: { table: 'agents.territories', where: "code like 'HS-%'" }, headers: { Authorization: `Bearer ${token}` } });
  const shape = shapeOf(stream);
  try {
    await shape.rows;
    await backend.database.db.query(`insert into agents.territories (code, name) values ('HS-1', 'before')`);
    await waitFor(() => shape.currentRows.length === 1, 'the change before the silence');
    // From now on the feed's connection passes nothing either way, and nobody closes it.
    expect(feedSockets.length).toBeGreaterThan(0);
    for (const socket of feedSockets) silenced.add(socket);
    await backend.database.db.query(`insert into agents.territories (code, name) values ('HS-2', 'during')`);
    await waitFor(() => shape.currentRows.length === 2, 'the change written while the listening connection was silent', 20_000);
  } finally {
    stream.unsubscribeAll();
  }
}, 40_000);
