/**
 * Live mode over Server-Sent Events: one `data:` event per message, each batch of transactions
 * followed by an up-to-date (the client then resumes from `${global_last_seen_lsn}_0`),
 * keep-alive comments, and a close after a minute so the client reconnects with its offset.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChangeFeed } from './change-feed.ts';
import { upToDateMessage } from './change-messages.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import type { LogRead, ShapeHandle } from './shape-log.ts';

export interface SseOptions {
  readonly shape: ShapeDefinition;
  readonly handle: ShapeHandle;
  readonly headers: Record<string, string>;
  /** The first read, done before the stream opened. */
  readonly first: LogRead;
  readonly read: (afterLsn: bigint) => Promise<LogRead>;
  readonly feed: ChangeFeed;
  /** Becomes true when the shape's handle dies (e.g. its table was truncated): the stream ends and the client's reconnect gets the 409. */
  readonly stale: () => boolean;
  readonly keepAliveMs?: number;
  readonly closeAfterMs?: number;
}

export async function streamSse(request: FastifyRequest, reply: FastifyReply, options: SseOptions): Promise<void> {
  const { feed, keepAliveMs = 21_000, closeAfterMs = 60_000 } = options;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    ...options.headers,
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let open = true;
  const closed = new Promise<void>((resolve) => request.raw.once('close', () => resolve()));
  void closed.then(() => (open = false));
  const endAt = Date.now() + closeAfterMs;
  let pending: LogRead | undefined = options.first;
  let through = options.first.upToDate ? options.first.globalLsn : options.first.throughLsn;
  try {
    while (open && !feed.closed && !options.stale() && Date.now() < endAt) {
      const waiter = feed.waitFor(options.shape, options.handle, through);
      try {
        const fromBeforeOpen = pending !== undefined;
        const result = pending ?? (await options.read(through));
        pending = undefined;
        if (result.messages.length > 0) {
          const events = result.messages.map((message) => `data: ${message}\n\n`);
          const lsn = result.upToDate ? result.globalLsn : result.throughLsn;
          events.push(`data: ${upToDateMessage(lsn)}\n\n`);
          raw.write(events.join(''));
        }
        through = result.upToDate ? result.globalLsn : result.throughLsn;
        // More to send, or the first read predates this waiter: read again before waiting.
        if (!result.upToDate || fromBeforeOpen) continue;
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          waiter.changed.then(() => 'changed' as const),
          closed.then(() => 'closed' as const),
          new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), Math.min(keepAliveMs, Math.max(0, endAt - Date.now()))))),
        ]);
        clearTimeout(timer);
        if (outcome === 'idle' && open) raw.write(': keep-alive\n\n');
      } finally {
        // Also when the read throws: a waiter left behind would keep its shape's live log.
        waiter.cancel();
      }
    }
  } catch (error) {
    request.log.error({ err: error }, 'SSE shape stream failed');
  } finally {
    raw.end();
  }
}
