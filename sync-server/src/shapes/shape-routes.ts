/**
 * `GET /v1/shape`: ElectricSQL's HTTP shape protocol over the change log, with role rules.
 * See ../../../../shared/protocols/electric-shape.md for what the official clients require.
 */
import type { Executor } from '@niaga/db';
import { requireUser } from '@niaga/domain/shared';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ChangeFeed } from './change-feed.ts';
import { upToDateMessage } from './change-messages.ts';
import { connectionClosed } from './connection-closed.ts';
import { nextCursor } from './live-cursor.ts';
import { refuseOverLimit, type LiveRequestLimit } from './live-request-limit.ts';
import { deliveredThrough, formatOffset, logOffset, type ShapeOffset } from './offset.ts';
import { shapeResolver, type ShapeDefinition } from './shape-definition.ts';
import { CompactedError, findHandle, OffsetAheadError, readShapeLog, SnapshotBusyError, takeSnapshot, touchHandle, type LogRead, type ShapeHandle } from './shape-log.ts';
import { parseShapeRequest, ShapeRequestError, type ShapeRequest } from './shape-request.ts';
import { openPage, pageBody, type OpenedPage } from './snapshot-page-body.ts';
import { SnapshotGoneError, SnapshotPages, SnapshotReaders } from './snapshot-pages.ts';
import type { SnapshotSpool } from './snapshot-spool.ts';
import { streamSse } from './sse-stream.ts';
import { SharedSnapshots } from './shared-snapshots.ts';
import { schemaEntry, type TableInfo } from './table-catalog.ts';

export const electricHeaders = [
  'electric-cursor',
  'electric-handle',
  'electric-offset',
  'electric-schema',
  'electric-up-to-date',
  'electric-has-data',
  'electric-internal-known-error',
  'retry-after',
] as const;

export interface ShapeRoutesOptions {
  db: Executor;
  catalog: ReadonlyMap<string, TableInfo>;
  feed: ChangeFeed;
  /** How long a live request is held with nothing to send. */
  longPollMs?: number;
  onSnapshot?: (table: string) => void;
  /** A snapshot of more than one page was refused: every reader was taken, or the spool more than half full. */
  onSnapshotRefused?: (table: string) => void;
  /** Snapshots with more rows than this are served in pages. */
  snapshotPageRows?: number;
  /** How long a snapshot's later pages are kept with no request for them (and none being sent). */
  snapshotIdleMs?: number;
  /** How many big snapshots may be read at once, each holding a pooled connection (SnapshotReaders). */
  snapshotReaders?: number;
  /** Where the later pages of big snapshots wait for their clients (the caller closes it after the server). */
  snapshotSpool: SnapshotSpool;
  /** How often a handle in use is marked used (so compaction keeps it); well under the retention window. */
  touchHandleEveryMs?: number;
  /** How many live requests (long-polls, SSE streams) one user may hold at once; past it, a 429. Shared with the poke streams. */
  liveLimit: LiveRequestLimit;
  /** For how long a one-page snapshot is given to other clients starting the same shape (0: never). */
  shareSnapshotsMs?: number;
}

function schemaHeader(shape: ShapeDefinition): string {
  return JSON.stringify(Object.fromEntries(shape.columns.map((column) => [column.name, schemaEntry(column)])));
}

/** A read's response body (its messages, then up-to-date if it is), built once however many clients share it. */
const bodies = new WeakMap<LogRead, Buffer>();
function bodyOf(read: LogRead): Buffer {
  let body = bodies.get(read);
  if (!body) {
    const parts = [...read.messages];
    if (read.upToDate) parts.push(upToDateMessage(read.globalLsn));
    bodies.set(read, (body = Buffer.from(`[${parts.join(',')}]`)));
  }
  return body;
}

/** How long a client refused a big snapshot (every reader busy, or the spool more than half full) waits before it asks again. */
const snapshotRetryAfterSeconds = 2;

/** 409: the client drops what it has of this shape and starts again from offset -1. */
function mustRefetch(reply: FastifyReply, reason: string) {
  return reply
    .code(409)
    .header('cache-control', 'no-store')
    .header('content-type', 'application/json')
    .header('electric-internal-known-error', reason)
    .send(JSON.stringify([{ headers: { control: 'must-refetch' } }]));
}

export const shapeRoutes: FastifyPluginAsync<ShapeRoutesOptions> = async (app, options) => {
  const { db, catalog, feed, liveLimit, longPollMs = 20_000, onSnapshot, onSnapshotRefused, snapshotPageRows = 10_000, snapshotIdleMs = 120_000, snapshotReaders = 4, touchHandleEveryMs = 10 * 60_000 } = options;
  const sharedSnapshots = new SharedSnapshots(options.shareSnapshotsMs ?? 0);
  const snapshotPages = new SnapshotPages(snapshotIdleMs);
  const readers = new SnapshotReaders(snapshotReaders);
  const spool = options.snapshotSpool;
  const resolveShape = shapeResolver(catalog);
  app.addHook('preClose', async () => snapshotPages.close());
  const handles = new Map<string, { handle: ShapeHandle; touchedAt: number }>();
  async function lookupHandle(handle: string): Promise<ShapeHandle | undefined> {
    // A snapshot still being downloaded: its row commits only when its reader ends, which waits while the spool is full.
    const downloading = snapshotPages.handleOf(handle);
    if (downloading) return downloading;
    const cached = handles.get(handle);
    if (cached) {
      if (Date.now() - cached.touchedAt >= touchHandleEveryMs) {
        cached.touchedAt = Date.now();
        touchHandle(db, handle).catch((error: unknown) => app.log.warn({ err: error, handle }, 'could not mark a shape handle used'));
      }
      return cached.handle;
    }
    const found = await findHandle(db, handle);
    if (!found) return undefined;
    remember(found, 0);
    return lookupHandle(handle);
  }
  function remember(handle: ShapeHandle, touchedAt: number) {
    if (handles.size > 10_000) handles.delete(handles.keys().next().value!);
    handles.set(handle.handle, { handle, touchedAt });
  }

  app.get('/v1/shape', { schema: { hide: true } }, async (request, reply) => {
    const user = requireUser(request);
    let shapeRequest: ShapeRequest;
    let shape: ShapeDefinition;
    try {
      shapeRequest = parseShapeRequest(request.query as Record<string, string>);
      shape = resolveShape(shapeRequest, user);
    } catch (error) {
      if (error instanceof ShapeRequestError) {
        const status = error.code === 'FORBIDDEN' ? 403 : 400;
        return reply.code(status).header('cache-control', 'no-store').send({ code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) });
      }
      throw error;
    }
    void reply.header('cache-control', 'no-store').header('content-type', 'application/json');
    /** 409 for a log this definition's snapshots can no longer follow: none taken so far is shared again. */
    const refetch = (reason: string) => {
      sharedSnapshots.forget(shape.hash);
      return mustRefetch(reply, reason);
    };

    const { offset } = shapeRequest;
    /** Settles once this response is sent, or its connection is gone (also when it went while the handler waited). */
    const responseClosed = () => (reply.raw.destroyed || reply.raw.writableFinished ? Promise.resolve() : new Promise<void>((resolve) => reply.raw.once('close', () => resolve())));
    const snapshotEndMessages = (handle: ShapeHandle) => [
      JSON.stringify({ headers: { control: 'snapshot-end', xmin: handle.snapshot.xmin.toString(), xmax: handle.snapshot.xmax.toString(), xip_list: handle.snapshot.xip.map(String) } }),
      // The snapshot saw the whole log up to its lsn, so it is already up to date there.
      upToDateMessage(handle.snapshotLsn),
    ];
    /** One page of a snapshot: 0-based `index`, the last ends it (up-to-date, then the live log). A spooled page is opened already. */
    const sendSnapshotPage = (handle: ShapeHandle, page: OpenedPage, index: number) => {
      void reply
        .header('electric-handle', handle.handle)
        .header('electric-offset', page.last ? formatOffset(logOffset(handle.snapshotLsn)) : `0_${index + 1}`)
        .header('electric-schema', schemaHeader(shape));
      if (page.last) void reply.header('electric-up-to-date', '');
      const body = pageBody(page, page.last ? snapshotEndMessages(handle).join(',') : '');
      if ('bytes' in body) void reply.header('content-length', String(body.bytes));
      return reply.send(body.body);
    };

    if (offset.kind === 'before-all' || offset.kind === 'now') {
      const snapshotOptions = { rowsToo: offset.kind === 'before-all', pageRows: snapshotPageRows, spool, readers };
      // A recent one-page snapshot of this definition, if its handle still holds (not compacted past, no truncation since).
      const usable = (handle: ShapeHandle) => handle.snapshotLsn >= feed.compactedUpTo && !feed.truncatedSince(shape.table.name, handle.snapshotLsn);
      const taken = await (
        offset.kind === 'now'
          ? takeSnapshot(db, shape, snapshotOptions).then((snapshot) => ({ shared: false as const, snapshot }))
          : sharedSnapshots.share(shape.hash, () => takeSnapshot(db, shape, snapshotOptions), usable)
      ).catch((error: unknown) => {
        if (!(error instanceof SnapshotBusyError)) throw error;
        return error;
      });
      if (taken instanceof SnapshotBusyError) {
        onSnapshotRefused?.(shape.table.name);
        // The official client waits at least Retry-After, then asks again from the start.
        return reply
          .code(503)
          .header('retry-after', String(snapshotRetryAfterSeconds))
          .send({ code: 'SNAPSHOT_BUSY', message: `${taken.message}: try again in ${snapshotRetryAfterSeconds} s` });
      }
      if (taken.shared) return sendSnapshotPage(taken.snapshot.handle, taken.snapshot.page, 0);
      const { snapshot } = taken;
      onSnapshot?.(shape.table.name);
      remember(snapshot.handle, Date.now());
      if (!snapshot.first.last) {
        snapshotPages.put(snapshot.handle, snapshot.pages);
        snapshot.pages.sendingUntil(responseClosed());
      }
      return sendSnapshotPage(snapshot.handle, snapshot.first, 0);
    }

    const handle = await lookupHandle(shapeRequest.handle!);
    if (!handle || handle.definitionHash !== shape.hash) {
      return mustRefetch(reply, 'The shape handle is unknown or belongs to another shape definition');
    }
    if (feed.truncatedSince(shape.table.name, handle.snapshotLsn)) {
      handles.delete(handle.handle);
      return refetch(`${shape.table.name} was truncated; the shape must be fetched again`);
    }
    if (offset.kind === 'log' && offset.lsn === 0n && offset.op > 0) {
      // A later page of a paginated snapshot (0_1 = after the first page), once it is read.
      const page = await snapshotPages.get(handle.handle, offset.op).catch((error: unknown) => {
        // Given up (its client went quiet) or failed: its transaction, and the handle, rolled back.
        if (!(error instanceof SnapshotGoneError)) request.log.warn({ err: error, handle: handle.handle }, 'reading a snapshot failed');
        snapshotPages.forget(handle.handle);
        handles.delete(handle.handle);
        return undefined;
      });
      // Opened before anything can delete its file (the last page's send drops the snapshot).
      const opened = page && (await openPage(page));
      if (!opened) return mustRefetch(reply, 'This snapshot page is no longer available; start the shape again');
      if (opened.last) snapshotPages.forget(handle.handle);
      else snapshotPages.streamOf(handle.handle)?.sendingUntil(responseClosed());
      return sendSnapshotPage(handle, opened, offset.op);
    }
    if (offset.kind === 'log' && offset.lsn < handle.snapshotLsn) {
      return mustRefetch(reply, 'The offset is older than the shape handle');
    }

    // Live requests read recent offsets from this instance's in-memory tail (no query per client);
    // catch-up and refresh requests read the database, which may be a moment ahead of the tail.
    const read = async (afterLsn: bigint): Promise<LogRead> =>
      (shapeRequest.live ? feed.readTail(shape, handle, afterLsn) : undefined) ?? readShapeLog(db, shape, handle, afterLsn);
    const requestedLsn = deliveredThrough(offset, handle.snapshotLsn);
    const leaveLive = shapeRequest.live ? liveLimit.enter(user.sub) : undefined;
    if (shapeRequest.live && !leaveLive) return refuseOverLimit(reply, liveLimit);
    const respond = (result: LogRead) => {
      const nextOffset: ShapeOffset = result.upToDate ? logOffset(result.globalLsn) : logOffset(result.throughLsn);
      void reply.header('electric-handle', handle.handle).header('electric-offset', formatOffset(nextOffset));
      if (result.upToDate) void reply.header('electric-up-to-date', '');
      if (shapeRequest.live) void reply.header('electric-cursor', nextCursor(shapeRequest.cursor, longPollMs / 1000));
      else void reply.header('electric-schema', schemaHeader(shape));
      return reply.send(bodyOf(result));
    };

    try {
      if (!shapeRequest.live) return respond(await read(requestedLsn));
      if (shapeRequest.sse) {
        const first = await read(requestedLsn); // a compacted offset is a 409 before the stream opens
        return await streamSse(request, reply, {
          headers: {
            'electric-handle': handle.handle,
            'electric-offset': formatOffset(offset),
            'electric-cursor': nextCursor(shapeRequest.cursor, longPollMs / 1000),
            'electric-up-to-date': '',
          },
          shape,
          handle,
          first,
          read,
          feed,
          stale: () => feed.truncatedSince(shape.table.name, handle.snapshotLsn),
        });
      }
      const deadline = Date.now() + Math.min(longPollMs, shapeRequest.liveHoldMs ?? longPollMs);
      const closed = connectionClosed(request.raw, reply.raw).then(() => 'closed' as const);
      for (;;) {
        const waiter = feed.waitFor(shape, handle, requestedLsn);
        try {
          const result = await read(requestedLsn);
          if (result.messages.length > 0 || !result.upToDate || Date.now() >= deadline || feed.closed) return respond(result);
          let timer: NodeJS.Timeout | undefined;
          const outcome = await Promise.race([
            waiter.changed.then(() => 'changed' as const),
            new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now())))),
            closed,
          ]);
          clearTimeout(timer);
          // The client went away: end the reply anyway (499, as nginx logs it), or the request never
          // completes and the server's close can wait for it for ever (clients/sync's
          // sync-client.pg.test.ts hung in its afterAll when devices cut their long-polls).
          if (outcome === 'closed') return reply.code(499).send();
          if (feed.truncatedSince(shape.table.name, handle.snapshotLsn)) return refetch(`${shape.table.name} was truncated`);
        } finally {
          // Also when the read throws: a waiter left behind would keep its shape's live log.
          waiter.cancel();
        }
      }
    } catch (error) {
      if (error instanceof CompactedError || error instanceof OffsetAheadError) return refetch(error.message);
      throw error;
    } finally {
      leaveLive?.();
    }
  });
};

