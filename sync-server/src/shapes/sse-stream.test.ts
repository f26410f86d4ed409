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

/** A feed with changes always waiting: every read returns a batch of `size` messages of 10 KB. */
function streamEndlessly(options: { closeAfterMs: number }): Promise<string> {
  let lsn = 0n;
  const read = async (): Promise<LogRead> => {
    lsn++;
    return { messages: Array.from({ length: 100 }, (_, index) => JSON.stringify({ n: `${lsn}-${index}`, pad: 'p'.repeat(10_000) })), throughLsn: lsn, upToDate: false, globalLsn: lsn + 1n };
  };
  const feed = { closed: false, waitFor: () => ({ changed: new Promise(() => {}), cancel: () => {} }) } as unknown as ChangeFeed;
  server = createServer((req, res) => {
    const request = { raw: req, log: { error: () => {} } } as unknown as FastifyRequest;
    const reply = { raw: res, hijack: () => {}, getHeaders: () => ({}) } as unknown as FastifyReply;
    void streamSse(request, reply, {
      shape: {} as ShapeDefinition,
      handle: {} as ShapeHandle,
      headers: {},
      first: { messages: [], throughLsn: 0n, upToDate: true, globalLsn: 0n },
      read,
      feed,
      stale: () => false,
      keepAliveMs: 60_000,
      closeAfterMs: options.closeAfterMs,
    });
  });
  return new Promise((resolve) => server!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/`)));
}

test('a client that takes nothing is cut off a stream-length after the stream was due to end, the connection destroyed mid-batch', async () => {
  const url = await streamEndlessly({ closeAfterMs: 300 });
  const started = Date.now();
  const serverSide = new Promise<Socket>((resolve) => server!.once('connection', resolve));
  let ended = false;
  const request = get(url, (response: IncomingMessage) => {
    response.pause(); // takes the head, then nothing
    response.on('end', () => (ended = true));
  });
  request.on('error', () => {});
  const socket = await serverSide;
  await new Promise((resolve) => socket.once('close', resolve));
  expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(ended).toBe(false); // cut off, not ended
  request.destroy();
});

test('a client that reads gets whole batches, each ended by its up-to-date, until the stream ends on time', async () => {
  const url = await streamEndlessly({ closeAfterMs: 300 });
  const body = await new Promise<string>((resolve, reject) => {
    get(url, (response) => {
      const chunks: string[] = [];
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => chunks.push(chunk));
      response.on('end', () => resolve(chunks.join('')));
      response.on('error', reject);
    }).on('error', reject);
  });
  const events = body.split('\n\n').filter(Boolean);
  expect(events.length).toBeGreaterThan(100);
  expect(events.at(-1)).toContain('up-to-date'); // never cut mid-batch
  expect(events.filter((event) => event.includes('up-to-date')).length * 101).toBe(events.length);
});
