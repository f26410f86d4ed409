/**
 * The poke stream: Server-Sent Events telling a Replicache client to pull. It sends `ready` on
 * connect (pull now: pokes sent while disconnected were missed), then `poke` whenever the change
 * log grows with a change to the caller's view (judged by the change feed exactly as for live
 * shapes), at most once per `throttleMs`; keep-alive comments in between. It ends after
 * `maxStreamMs` (the client reconnects, with a fresh token), when the server closes, and, at the
 * next poke or keep-alive, once `stillAllowed` says no (the session was revoked).
 */
import { PokeEvent } from '@niaga/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChangeFeed } from '../shapes/change-feed.ts';
import type { ShapeHandle } from '../shapes/shape-log.ts';
import { connectionClosed } from '../shapes/connection-closed.ts';
import type { ClientView } from './client-view.ts';

export interface PokeStreamOptions {
  readonly heartbeatMs: number;
  readonly throttleMs: number;
  readonly maxStreamMs: number;
}

export const defaultPokeStreamOptions: PokeStreamOptions = { heartbeatMs: 15_000, throttleMs: 100, maxStreamMs: 10 * 60_000 };

/** A handle whose snapshot saw nothing: every logged change counts. */
const sawNothing: ShapeHandle = { handle: 'poke', definitionHash: '', snapshotLsn: 0n, snapshot: { xmin: 0n, xmax: 0n, xip: [] } };

const event = (name: string) => `event: ${name}\ndata: {}\n\n`;

export async function streamPokes(
  request: FastifyRequest,
  reply: FastifyReply,
  feed: ChangeFeed,
  view: ClientView,
  options: PokeStreamOptions,
  stillAllowed: () => boolean = () => true,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let open = true;
  // At once if the client went while the route was busy (its 'close' event is past then).
  const closed = connectionClosed(request.raw, raw).then(() => 'closed' as const);
  void closed.then(() => (open = false));
  const endAt = Date.now() + options.maxStreamMs;
  const shapes = [...view.values()];
  let after = feed.latestLsn;
  raw.write(`retry: 1000\n${event(PokeEvent.ready)}`);
  try {
    while (open && !feed.closed && Date.now() < endAt) {
      // Register before looking at the tail, so a change between the two still wakes us.
      const waiters = shapes.map((shape) => feed.waitFor(shape, sawNothing, after));
      // undefined: the tail no longer reaches back there; poke rather than miss something.
      const pending = shapes.some((shape) => {
        const read = feed.readTail(shape, sawNothing, after);
        return read === undefined || read.messages.length > 0;
      });
      let outcome: 'changed' | 'idle' | 'closed' = pending ? 'changed' : 'idle';
      if (!pending) {
        let timer: NodeJS.Timeout | undefined;
        outcome = await Promise.race([
          ...waiters.map((waiter) => waiter.changed.then(() => 'changed' as const)),
          closed,
          new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), Math.min(options.heartbeatMs, Math.max(0, endAt - Date.now()))))),
        ]);
        clearTimeout(timer);
      }
      for (const waiter of waiters) waiter.cancel();
      if (!open || feed.closed || !stillAllowed()) break;
      if (outcome === 'changed') {
        // The pull this poke causes reads at least this far; later changes make the next round poke.
        after = feed.latestLsn;
        raw.write(event(PokeEvent.poke));
        await Promise.race([new Promise((resolve) => setTimeout(resolve, options.throttleMs)), closed]);
      } else if (outcome === 'idle') {
        raw.write(': keep-alive\n\n');
      }
    }
  } catch (error) {
    request.log.error({ err: error }, 'poke stream failed');
  } finally {
    raw.end();
  }
}
