import { liveHoldParam } from '@niaga/protocol';
import { afterEach, expect, test } from 'vitest';
import { LiveGate } from './live-gate.ts';

const session = { authorization: () => 'Bearer token', refresh: () => Promise.resolve() };

/** A server as far as the gate sees it: a poke stream the test writes to, and shape requests it records. */
function fakeServer(options: { pokes: boolean }) {
  const sent: string[] = [];
  let push: ((event: string) => void) | undefined;
  const fetch: typeof globalThis.fetch = async (input) => {
    const url = input instanceof Request ? input.url : input instanceof URL ? input.href : input;
    if (url.endsWith('/api/v1/sync/poke')) {
      if (!options.pokes) return new Response('no', { status: 404 });
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          push = (event) => controller.enqueue(new TextEncoder().encode(`event: ${event}\ndata: {}\n\n`));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    }
    sent.push(url);
    return new Response('[]');
  };
  return { fetch, sent, poke: (event = 'poke') => push?.(event) };
}

const gates: LiveGate[] = [];
afterEach(() => gates.splice(0).forEach((gate) => gate.stop()));

function startGate(server: ReturnType<typeof fakeServer>, maxHoldMs = 5_000): typeof fetch {
  const gate = new LiveGate({ serverURL: 'http://niaga.test', session, fetch: server.fetch, maxHoldMs });
  gates.push(gate);
  gate.start();
  return gate.wrap(server.fetch);
}

const live = 'http://niaga.test/v1/shape?table=catalog.products&offset=1_0&handle=h&live=true';
const settled = () => new Promise((resolve) => setTimeout(resolve, 50));

test('a live request waits on the device for a poke, then goes out asking not to be held', async () => {
  const server = fakeServer({ pokes: true });
  const fetch = startGate(server);
  await settled();
  server.poke('ready');
  await fetch(live); // the table's first request goes at once
  const held = fetch(live);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(server.sent).toHaveLength(1);
  server.poke();
  await held;
  expect(server.sent).toHaveLength(2);
  expect(new URL(server.sent[1]!).searchParams.get(liveHoldParam)).toBe('0');
  expect(new URL(server.sent[1]!).searchParams.get('live')).toBe('true');
});

test('a poke that came while a request was out lets the next one go at once; requests that are not live are never held', async () => {
  const server = fakeServer({ pokes: true });
  const fetch = startGate(server);
  await settled();
  server.poke('ready');
  await fetch(live);
  server.poke(); // news since that request went out
  await settled();
  await fetch(live);
  await fetch('http://niaga.test/v1/shape?table=catalog.products&offset=-1');
  expect(server.sent).toHaveLength(3);
});

test('without a poke stream, live requests go out unchanged as long-polls', async () => {
  const server = fakeServer({ pokes: false });
  const fetch = startGate(server);
  await settled();
  await fetch(live);
  await fetch(live);
  expect(server.sent).toEqual([live, live]);
});

test('a held request whose fetch is aborted (a refresh, a stop) goes out at once, to fail as an aborted fetch does', async () => {
  const server = fakeServer({ pokes: true });
  const gated = startGate(server, 5_000);
  await settled();
  server.poke('ready');
  await gated(live);
  const abort = new AbortController();
  const started = Date.now();
  const going = gated(live, { signal: abort.signal });
  await settled();
  abort.abort();
  await going;
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(server.sent).toHaveLength(2);
});
