/**
 * Test support for property tests of the read path with the official clients: live streams that
 * record every raw message and response, the server's rows converted the way the client parses
 * them (int8 → BigInt, bool → boolean, …), raw protocol requests, and small waiting helpers.
 */
import { randomUUID } from 'node:crypto';
import { isChangeMessage, isControlMessage, ShapeStream, type ChangeMessage, type ExternalParamsRecord, type Message, type Offset, type Row, type Shape } from '@electric-sql/client';
import type { Queryable } from '@niaga/db';
import { loadTableCatalog, type ColumnInfo, type TableInfo } from '../shapes/table-catalog.ts';
import type { PgShapeBackend } from './pg-shape-backend.ts';
import { shapeOf } from './shape-server.ts';

export type LiveMode = 'long-poll' | 'sse';
export const liveModes: readonly LiveMode[] = ['long-poll', 'sse'];

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A small seeded PRNG (mulberry32), so a failing concurrent run can be replayed with the same choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------
// Values as the client parses them
// ---------------------------------------------------------------------------------------------

/** A one-dimensional Postgres array literal, elements still text (null for NULL). */
export function parsePgArray(text: string): (string | null)[] {
  if (!text.startsWith('{') || !text.endsWith('}')) throw new Error(`Not a 1-D array literal: ${text}`);
  const body = text.slice(1, -1);
  const items: (string | null)[] = [];
  if (body === '') return items;
  let i = 0;
  while (i <= body.length) {
    if (body[i] === '"') {
      let item = '';
      i++;
      while (body[i] !== '"') {
        if (body[i] === '\\') i++;
        item += body[i];
        i++;
      }
      items.push(item);
      i += 2; // closing quote and the comma
    } else {
      const end = body.indexOf(',', i);
      const item = body.slice(i, end === -1 ? body.length : end);
      items.push(item === 'NULL' ? null : item);
      i = end === -1 ? body.length + 1 : end + 1;
    }
  }
  return items;
}

function parseScalar(text: string, type: string): unknown {
  switch (type) {
    case 'int2':
    case 'int4':
    case 'float4':
    case 'float8':
      return Number(text);
    case 'int8':
      return BigInt(text);
    case 'bool':
      return text === 'true' || text === 't';
    case 'json':
    case 'jsonb':
      return JSON.parse(text) as unknown;
    default:
      return text;
  }
}

/** Postgres text output → the JS value @electric-sql/client's default parser produces for it. */
export function asClientValue(text: string | null, column: ColumnInfo): unknown {
  if (text === null) return null;
  if (column.dims > 0) return parsePgArray(text).map((item) => (item === null ? null : parseScalar(item, column.type)));
  return parseScalar(text, column.type);
}

const catalogs = new WeakMap<Queryable, Map<string, TableInfo>>();

export async function tableInfo(db: Queryable, table: string): Promise<TableInfo> {
  let catalog = catalogs.get(db);
  if (!catalog) catalogs.set(db, (catalog = new Map<string, TableInfo>()));
  let info = catalog.get(table);
  if (!info) {
    info = (await loadTableCatalog(db, [table])).get(table)!;
    catalog.set(table, info);
  }
  return info;
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/**
 * `select <columns> from <table> where <filter>` on the server, each value converted as the client
 * parses it, ordered by primary key. `filter` is trusted test SQL with `$n` placeholders.
 */
export async function serverRows(db: Queryable, table: string, filter: string, values: readonly unknown[] = [], columns?: readonly string[]): Promise<Record<string, unknown>[]> {
  const info = await tableInfo(db, table);
  const selected = columns ? info.columns.filter((column) => columns.includes(column.name)) : info.columns;
  const [schema, name] = table.split('.') as [string, string];
  const { rows } = await db.query<Record<string, string | null>>(
    `select ${selected.map((column) => `${quote(column.name)}::text as ${quote(column.name)}`).join(', ')}
       from ${quote(schema)}.${quote(name)} where ${filter} order by ${info.primaryKey.map(quote).join(', ')}`,
    values,
  );
  return rows.map((row) => Object.fromEntries(selected.map((column) => [column.name, asClientValue(row[column.name] ?? null, column)])));
}

/** Rows ordered by a text key, for comparing a client's rows with serverRows(). */
export function byKey<T extends Record<string, unknown>>(rows: readonly T[], key = 'id'): T[] {
  return [...rows].sort((a, b) => (String(a[key]) < String(b[key]) ? -1 : String(a[key]) > String(b[key]) ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Live streams that keep a record
// ---------------------------------------------------------------------------------------------

export interface RecordedResponse {
  readonly url: URL;
  readonly status: number;
  readonly offset: string | null;
  readonly handle: string | null;
  readonly live: boolean;
  readonly sse: boolean;
  /** The JSON array body of a non-SSE response (undefined for SSE and unreadable bodies). */
  readonly body?: Message<Row<unknown>>[] | undefined;
}

/** What a stream delivered to its subscribers, and what that says about overlaps and gaps. */
export class DeliveryLog {
  /** Every message delivered, in order. */
  readonly messages: Message<Row<unknown>>[] = [];
  /** Change messages from the log (they carry an lsn; snapshot rows do not), in order. */
  readonly liveChanges: ChangeMessage<Row<unknown>>[] = [];
  /** After each batch that ended up to date: where the client stood after it (its offset and handle). */
  readonly positions: { offset: string; handle: string; delivered: number }[] = [];
  readonly keys = new Set<string>();
  duplicateInserts: string[] = [];
  phantomUpdates: string[] = [];
  phantomDeletes: string[] = [];
  mustRefetches = 0;
  upToDates = 0;
  lastGlobalLsn = -1n;

  /**
   * `sse`: the batch came over an SSE response. The client hands batches to subscribers on a
   * promise chain, and over SSE it takes in the next batch (and moves its offset past it) without
   * waiting for that chain: when two SSE batches arrive together, `stream.lastOffset` is already
   * the second one's while the first is delivered. So an SSE batch's position is taken from the
   * batch itself, as the client derives it (`${global_last_seen_lsn}_0`). A long-poll batch is
   * delivered before the next request is made, so there the stream's offset is the batch's.
   */
  record(stream: ShapeStream<Row<unknown>>, batch: Message<Row<unknown>>[], sse = false): void {
    for (const message of batch) {
      this.messages.push(message);
      if (isChangeMessage(message)) {
        if (message.headers.lsn !== undefined) this.liveChanges.push(message);
        const { key } = message;
        switch (message.headers.operation) {
          case 'insert':
            if (this.keys.has(key)) this.duplicateInserts.push(key);
            this.keys.add(key);
            break;
          case 'update':
            if (!this.keys.has(key)) this.phantomUpdates.push(key);
            break;
          case 'delete':
            if (!this.keys.delete(key)) this.phantomDeletes.push(key);
            break;
        }
      } else if (isControlMessage(message)) {
        if (message.headers.control === 'must-refetch') {
          this.mustRefetches++;
          this.keys.clear();
        }
        if (message.headers.control === 'up-to-date') {
          this.upToDates++;
          const lsn = (message.headers as { global_last_seen_lsn?: string }).global_last_seen_lsn;
          if (lsn !== undefined) this.lastGlobalLsn = BigInt(lsn);
        }
      }
    }
    const last = batch.at(-1);
    if (last && isControlMessage(last) && last.headers.control === 'up-to-date' && stream.shapeHandle) {
      const lsn = (last.headers as { global_last_seen_lsn?: string }).global_last_seen_lsn;
      const offset = sse && lsn !== undefined ? `${lsn}_0` : stream.lastOffset;
      this.positions.push({ offset, handle: stream.shapeHandle, delivered: this.liveChanges.length });
    }
  }

  /** What overlaps or gaps the raw messages showed, for `expect(...).toEqual(noAnomalies)`. */
  anomalies() {
    return { duplicateInserts: this.duplicateInserts, phantomUpdates: this.phantomUpdates, phantomDeletes: this.phantomDeletes };
  }
}

export const noAnomalies = { duplicateInserts: [], phantomUpdates: [], phantomDeletes: [] };

export interface LiveShape<T extends Row<unknown>> {
  readonly stream: ShapeStream<T>;
  readonly shape: Shape<T>;
  readonly log: DeliveryLog;
  readonly responses: RecordedResponse[];
  /** Stream errors reported to the subscriber. */
  readonly errors: Error[];
  /** Holds every new request until `open()` (requests already sent go on). */
  hold(): void;
  open(): void;
  /** Unsubscribes and aborts the request loop. */
  close(): void;
}

export interface OpenShapeOptions {
  token: string;
  params: ExternalParamsRecord;
  mode: LiveMode;
  /** Start from a position the server returned earlier instead of from the beginning. */
  offset?: string;
  handle?: string;
  /** Where each request goes instead (another instance's URL, say: a load balancer without affinity). */
  route?: (url: URL) => URL;
}

/**
 * A ShapeStream + Shape with a fetch that records every response and can be held. Each stream
 * gets a unique extra `client` param (ignored by the server) so the client's module-level caches
 * (expired handles, up-to-date replay detection), keyed by URL, never mix two test streams.
 */
export function openShape<T extends Row<unknown> = Row<unknown>>(backend: PgShapeBackend, options: OpenShapeOptions): LiveShape<T> {
  const abort = new AbortController();
  const responses: RecordedResponse[] = [];
  const errors: Error[] = [];
  let gate: Promise<void> | undefined;
  let release: (() => void) | undefined;
  const fetchClient: typeof fetch = async (input, init) => {
    while (gate) await gate;
    const requested = new URL(input instanceof Request ? input.url : input.toString());
    const url = options.route ? options.route(requested) : requested;
    const response = await fetch(options.route ? url : input, init);
    const sse = url.searchParams.get('live_sse') === 'true';
    let body: Message<Row<unknown>>[] | undefined;
    if (!sse) {
      try {
        body = JSON.parse(await response.clone().text()) as Message<Row<unknown>>[];
      } catch {
        body = undefined;
      }
    }
    responses.push({
      url,
      status: response.status,
      offset: response.headers.get('electric-offset'),
      handle: response.headers.get('electric-handle'),
      live: url.searchParams.get('live') === 'true',
      sse,
      body,
    });
    return response;
  };
  const stream = new ShapeStream<T>({
    url: backend.server.shapeUrl,
    params: { ...options.params, client: randomUUID() },
    headers: { Authorization: `Bearer ${options.token}` },
    liveSse: options.mode === 'sse',
    signal: abort.signal,
    fetchClient,
    ...(options.offset === undefined ? {} : { offset: options.offset as Offset }),
    ...(options.handle === undefined ? {} : { handle: options.handle }),
  });
  const log = new DeliveryLog();
  stream.subscribe(
    // The newest response is the one a batch came from, but for an SSE batch still queued for
    // delivery when its stream closed and the next request went out (rare: streams close after a minute).
    (batch) => log.record(stream, batch, responses.at(-1)?.sse === true),
    (error) => errors.push(error),
  );
  const shape = shapeOf(stream);
  return {
    stream,
    shape,
    log,
    responses,
    errors,
    hold() {
      gate ??= new Promise<void>((resolve) => (release = resolve));
    },
    open() {
      gate = undefined;
      release?.();
    },
    close() {
      gate = undefined;
      release?.();
      stream.unsubscribeAll();
      abort.abort();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Raw protocol requests
// ---------------------------------------------------------------------------------------------

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body (undefined if not JSON). */
  json: unknown;
}

/** One plain GET of the shape endpoint; `params` values go in as given (arrays repeat the key). */
export async function rawShapeGet(backend: PgShapeBackend, token: string | undefined, params: Record<string, string | string[]>): Promise<RawResponse> {
  const url = new URL(backend.server.shapeUrl);
  for (const [key, value] of Object.entries(params)) for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
  const response = await fetch(url, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A raw change message with its values converted as the client's parser converts them. */
export function asClientChange(message: ChangeMessage<Row<unknown>>, table: TableInfo): ChangeMessage<Row<unknown>> {
  const convert = (value: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(value).map(([name, text]) => {
      const column = table.columns.find((c) => c.name === name);
      return [name, column ? asClientValue(text as string | null, column) : text];
    }));
  const converted: ChangeMessage<Row<unknown>> = { ...message, value: convert(message.value) };
  if (message.old_value) converted.old_value = convert(message.old_value);
  return converted;
}

/** The change messages of a raw response body. */
export function changesIn(body: unknown): ChangeMessage<Row<unknown>>[] {
  if (!Array.isArray(body)) throw new Error(`Not a message array: ${JSON.stringify(body)}`);
  return (body as Message<Row<unknown>>[]).filter((message): message is ChangeMessage<Row<unknown>> => isChangeMessage(message));
}

/**
 * backend.close(), without waiting for client sockets that never sent a request: aborting a
 * ShapeStream can leave its fetch pool with a fresh, unused connection, which Node's server.close()
 * would otherwise wait for until headersTimeout (60 s).
 */
export async function closeBackend(backend: PgShapeBackend | undefined): Promise<void> {
  if (!backend) return;
  const closing = backend.close();
  backend.server.app.server.closeAllConnections();
  await closing;
}
