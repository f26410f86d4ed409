import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { afterEach, expect, test } from 'vitest';
import type { ChangeFeed } from './change-feed.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import type { LogRead, ShapeHandle } from './shape-log.ts';
import { streamSse } from './sse-stream.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

interface Served {
  url: string;
  /** Settles when the stream of the (only) request has ended. */
  streamed: Promise<void>;
  /** Live waiters taken from the feed and not given back. */
  waitersHeld: () => number;
}

/**
 * streamSse over a plain node http server (the route's Fastify objects reduced to what it uses),
 * with a feed that has `batches` batches of 100 messages of 10 KB waiting, then nothing.
 */
function serve(options: { closeAfterMs: number; batches: number; idleTimeoutMs?: number; goneFirst?: boolean; feed?: { closed: boolean } }): Promise<Served> {
  let lsn = 0n;
  const read = async (): Promise<LogRead> => {
    if (lsn >= options.batches) return { messages: [], throughLsn: lsn, upToDate: true, globalLsn: lsn };
    lsn++;
    return { messages: Array.from({ length: 100 }, (_, index) => JSON.stringify({ n: `${lsn}-${index}`, pad: 'p'.repeat(10_000) })), throughLsn: lsn, upToDate: lsn >= options.batches, globalLsn: lsn };
  };
  let held = 0;
  const feed = {
    get closed() {
      return options.feed?.closed ?? false;
    },
    waitFor: () => {
      held++;
      return { changed: new Promise(() => {}), cancel: () => held-- };
    },
  } as unknown as ChangeFeed;
  let streamed!: (done: Promise<void>) => void;
  const done = new Promise<Promise<void>>((resolve) => (streamed = resolve));
  server = createServer((req, res) => {
    if (options.goneFirst) req.socket.destroy();
    const request = { raw: req, log: { error: () => {} } } as unknown as FastifyRequest;
    const reply = { raw: res, hijack: () => {}, getHeaders: () => ({}) } as unknown as FastifyReply;
    streamed(
      streamSse(request, reply, {
        shape: {} as ShapeDefinition,
        handle: {} as ShapeHandle,
        headers: {},
        first: { messages: [], throughLsn: 0n, upToDate: true, globalLsn: 0n },
        read,
        feed,
        stale: () => false,
        keepAliveMs: 60_000,
        closeAfterMs: options.closeAfterMs,
      }),
    );
  });
  if (options.idleTimeoutMs) server.timeout = options.idleTimeoutMs; // what Fastify's connectionTimeout sets
  return new Promise((resolve) =>
    server!.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`, streamed: done.then((stream) => stream), waitersHeld: () => held }),
    ),
  );
}

test('a client that takes nothing is buffered for no more than a slice; when the idle timeout cuts its connection the stream ends and gives its waiter back', async () => {
  const served = await serve({ closeAfterMs: 60_000, batches: 50, idleTimeoutMs: 500 });
  const serverSide = new Promise<Socket>((resolve) => server!.once('connection', resolve));
  const request = get(served.url, (response: IncomingMessage) => response.pause()); // takes the head, then nothing
  request.on('error', () => {});
  const socket = await serverSide;
  await new Promise((resolve) => setTimeout(resolve, 300)); // the socket's buffers are full by now
  expect(socket.writableLength).toBeLessThan(200 * 1024); // without backpressure: most of the 50 MB
  await served.streamed;
  expect(socket.destroyed).toBe(true);
  expect(served.waitersHeld()).toBe(0);
  request.destroy();
});

test('a slow client that keeps reading gets a batch of any size whole, ended by its up-to-date, though it takes longer than the stream is open', async () => {
  const served = await serve({ closeAfterMs: 200, batches: 1 });
  const started = Date.now();
  const { body, complete } = await new Promise<{ body: string; complete: boolean }>((resolve, reject) => {
    get(served.url, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        response.pause();
        setTimeout(() => response.resume(), 20);
      });
      response.on('end', () => resolve({ body: Buffer.concat(chunks).toString(), complete: response.complete }));
      response.on('error', reject);
    }).on('error', reject);
  });
  expect(Date.now() - started).toBeGreaterThan(400); // past the stream's 200 ms
  expect(complete).toBe(true);
  const events = body.split('\n\n').filter((event) => event.startsWith('data: ')); // keep-alive comments aside
  expect(events).toHaveLength(101);
  expect(events.at(-1)).toContain('up-to-date');
  await served.streamed;
  expect(served.waitersHeld()).toBe(0);
});

test('a client gone before the stream began (while the route read its first batch) ends it at once', async () => {
  const served = await serve({ closeAfterMs: 60_000, batches: 50, goneFirst: true });
  const request = get(served.url);
  request.on('error', () => {});
  const started = Date.now();
  await served.streamed;
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(served.waitersHeld()).toBe(0);
});

test('a stream stalled mid-batch stops when the server begins closing, its connection destroyed (a shutdown does not wait for the client)', async () => {
  const feed = { closed: false };
  const served = await serve({ closeAfterMs: 60_000, batches: 50, feed });
  const serverSide = new Promise<Socket>((resolve) => server!.once('connection', resolve));
  const request = get(served.url, (response: IncomingMessage) => response.pause());
  request.on('error', () => {});
  const socket = await serverSide;
  await new Promise((resolve) => setTimeout(resolve, 300));
  feed.closed = true;
  const started = Date.now();
  await served.streamed;
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(socket.destroyed).toBe(true);
  expect(served.waitersHeld()).toBe(0);
  request.destroy();
});
