/**
 * One official `@electric-sql/client` ShapeStream per synced table, resumed from saved cursors.
 * It reports each batch (for the aligner), each table's columns (from the `electric-schema`
 * header, to create local tables), bytes received and whether the server answers; a 401 refreshes
 * the session and retries.
 */
import { FetchError, ShapeStream, type Message, type Row } from '@electric-sql/client';
import { errorBody } from './error-body.ts';
import { LiveGate } from './live-gate.ts';
import type { ColumnSpec } from './local-store.ts';
import { RefreshFailedError, SessionExpiredError, type Session } from './session.ts';
import type { ShapeCursor, ShapeMessage } from './transaction-aligner.ts';

export interface ShapeTransportOptions {
  readonly serverURL: string;
  readonly tables: readonly string[];
  readonly session: Pick<Session, 'authorization' | 'refresh'>;
  readonly fetch: typeof fetch;
  readonly liveSse: boolean;
  /** Without SSE: hold live requests on the device until the poke stream says there is news (see live-gate.ts). */
  readonly livePokes: boolean;
  readonly cursors: ReadonlyMap<string, ShapeCursor>;
  /** Awaited: the stream asks for more only after the batch is handled. Must not throw. */
  readonly onBatch: (table: string, messages: readonly ShapeMessage[], cursor: ShapeCursor) => Promise<void>;
  readonly onSchema: (table: string, columns: readonly ColumnSpec[]) => void;
  readonly onResponse: (bytes: number) => void;
  /** A failure the streams retry: OFFLINE (no answer), BAD_RESPONSE (an answer that is not the protocol), SERVER_ERROR (5xx), SERVER_BUSY (503/429, asked again after Retry-After); `table` when one table's stream met it. */
  readonly onTransientError: (code: TransientCode, error: unknown, table?: string) => void;
  /** A stream stopped for good (session ended, request refused): the reason, for status. */
  readonly onFatal: (table: string, error: unknown) => void;
}

export interface ShapeTransport {
  /** Ends the streams' live waits at once: each answers with what it has and the global LSN. */
  refresh(tables: readonly string[]): void;
  /** The network is back: new streams from where the old ones got to, now rather than after their backoff. */
  reconnect(): void;
  stop(): void;
}

/**
 * int8 as a JS number (ours are counts, ids and money in minor units, far below 2^53). A bool that
 * is neither true nor false stays the text it was (the official client would read it as false), so
 * that rowMismatch sees it.
 */
const parser = {
  int8: (value: string) => Number(value),
  bool: (value: string) => (value === 't' || value === 'true' ? true : value === 'f' || value === 'false' ? false : value),
};

export function startShapeTransport(options: ShapeTransportOptions): ShapeTransport {
  const abort = new AbortController();
  const gate = !options.liveSse && options.livePokes ? new LiveGate({ serverURL: options.serverURL, session: options.session, fetch: options.fetch }) : undefined;
  gate?.start();
  /** Each table's columns, as the electric-schema of its last answer gave them (rows are checked against them). */
  const columns = new Map<string, ReadonlyMap<string, ColumnSpec>>();
  const observed = observingFetch({
    ...options,
    onSchema: (table, spec) => {
      columns.set(table, new Map(spec.map((column) => [column.name, column])));
      options.onSchema(table, spec);
    },
  });
  const fetchClient = gate ? gate.wrap(observed) : observed;
  const streams = new Map<string, ShapeStream<Row<unknown>>>();
  /** Each stream's own abort, so that a reconnect can end one without ending the transport. */
  const streamAborts = new Map<string, AbortController>();
  /** Where each table's stream got to: a restarted stream resumes there (the aligner has the rest). */
  const received = new Map(options.cursors);
  const stopped = new Set<string>();
  /** Per table: restarts in a row without a batch in between (each waits longer). */
  const restarts = new Map<string, number>();
  /** Restarts waiting for their time: stop() cancels them, so nothing keeps a Node process up after it. */
  const restartTimers = new Set<ReturnType<typeof setTimeout>>();
  /** Per table: errors the stream was told to retry, in a row without a batch in between (each retry waits longer). */
  const errorsInARow = new Map<string, number>();
  /**
   * Before a stream retries after an error: the official client retries a 5xx or a dropped
   * connection with its own backoff, but what reaches onError (its fast-retry-loop error after 409s
   * over and over, a refresh that failed) it would retry at once, in a loop.
   */
  const pauseBeforeRetry = (table: string, signal: AbortSignal) => {
    const attempt = errorsInARow.get(table) ?? 0;
    errorsInARow.set(table, attempt + 1);
    return pause(doubling(250, attempt), signal);
  };

  /** Ends `stream` and starts a new one for `table` from where the batches handed over got to (`received`), after a pause that grows per restart in a row. */
  const restartLater = (table: string, stream: ShapeStream<Row<unknown>>) => {
    if (abort.signal.aborted || stopped.has(table) || streams.get(table) !== stream) return;
    stream.unsubscribeAll();
    streamAborts.get(table)?.abort();
    const attempt = restarts.get(table) ?? 0;
    restarts.set(table, attempt + 1);
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      if (streams.get(table) === stream) open(table);
    }, doubling(500, attempt));
    restartTimers.add(timer);
  };

  const open = (table: string) => {
    if (abort.signal.aborted) return;
    streamAborts.get(table)?.abort();
    const own = new AbortController();
    streamAborts.set(table, own);
    const cursor = received.get(table);
    const signal = AbortSignal.any([abort.signal, own.signal]);
    const stream = new ShapeStream<Row<unknown>>({
      url: `${options.serverURL}/v1/shape`,
      params: { table, replica: 'full' },
      ...(cursor ? { offset: cursor.offset as `${number}_${number}`, handle: cursor.handle } : {}),
      headers: { Authorization: () => options.session.authorization() },
      parser,
      liveSse: options.liveSse,
      signal,
      fetchClient,
      onError: async (error) => {
        // The error decides: stop the table (final until a reconnect or a new login), or retry after a pause.
        const stop = (reason: unknown) => {
          stopped.add(table);
          options.onFatal(table, reason);
        };
        const retryLater = async (reason: unknown) => {
          options.onTransientError(transientCode(reason), reason, table);
          await pauseBeforeRetry(table, signal);
          return {};
        };
        // Logged out: no Authorization header can be made.
        if (error instanceof SessionExpiredError) return stop(error);
        if (error instanceof FetchError && error.status === 401) {
          try {
            await options.session.refresh();
            return {};
          } catch (refreshError) {
            // A session that ended needs a login; a refresh that failed for a passing reason (no network, a 5xx, garbage) is tried again.
            return refreshError instanceof SessionExpiredError ? stop(refreshError) : retryLater(refreshError);
          }
        }
        // Refusals the server means: a bad request, a table or column the role may not sync.
        if (error instanceof FetchError && (error.status === 400 || error.status === 403)) return stop(error);
        // An answer taken in but not read (its body not the protocol, a value its electric-schema
        // cannot parse): the official client has already moved its offset past it, and asked again
        // it would go on from there, its rows never handed over. This stream ends instead (the
        // subscription's error callback); a new one asks again from the last batch handed over.
        if (unreadAnswer(error)) {
          options.onTransientError('BAD_RESPONSE', error, table);
          return;
        }
        return retryLater(error);
      },
    });
    streams.set(table, stream);
    stream.subscribe(
      async (messages: Message<Row<unknown>>[]) => {
        // Rows that do not fit the columns their answer declared are not handed over (the local
        // table is made from those columns: a column left out would be dropped, or kept as text).
        const mismatch = rowMismatch(messages, columns.get(table));
        if (mismatch) {
          options.onTransientError('BAD_RESPONSE', new Error(`The sync server's rows of ${table} do not match its electric-schema: ${mismatch}`), table);
          return restartLater(table, stream);
        }
        const offset = offsetAfter(messages, stream.lastOffset);
        // The handle is the batch's too. A stream that has moved past this batch may have had a
        // 409 meanwhile (it drops its handle at once, before the batches still queued reach us):
        // then the batch's handle is the one of the batch before it (a handle only changes with a
        // must-refetch, and the snapshot after it comes over long-polls, each handed over in turn).
        const handle = offset === stream.lastOffset ? (stream.shapeHandle ?? '') : (received.get(table)?.handle ?? stream.shapeHandle ?? '');
        const at = { handle, offset };
        received.set(table, at);
        restarts.delete(table);
        errorsInARow.delete(table);
        await options.onBatch(table, messages, at);
      },
      // The stream gave up (the client bounds its own retries, an answer was not read): start a new
      // one where it got to, unless the error was final (the session ended, the request was
      // refused) or we stopped.
      () => restartLater(table, stream),
    );
  };
  for (const table of options.tables) open(table);
  return {
    refresh(tables) {
      for (const table of tables) void streams.get(table)?.forceDisconnectAndRefresh().catch(() => undefined);
    },
    reconnect() {
      gate?.reconnect();
      restarts.clear();
      errorsInARow.clear();
      // Tables stopped by a refusal are tried again too: a proxy's passing 4xx must not stop a table for good.
      stopped.clear();
      for (const [, stream] of streams) stream.unsubscribeAll();
      for (const table of streams.keys()) open(table);
    },
    stop: () => {
      abort.abort();
      for (const timer of restartTimers) clearTimeout(timer);
      restartTimers.clear();
      gate?.stop();
    },
  };
}

/**
 * Where a stream stands after `messages`: the cursor saved with them. Over SSE the official client
 * moves its offset past a batch as soon as it takes the batch in, but hands batches to subscribers
 * later, one after another; so while one batch is handled the next may have arrived, and
 * `stream.lastOffset` is already past it. Saved with the first, that offset would skip the second
 * for good if the device stopped in between. Every up-to-date from the Niaga server carries the
 * lsn its response's offset stands at (`<lsn>_0`), so a batch ending with one gives its own
 * position. A batch without one is a page of a long-poll catch-up, handed over before the next
 * request is made: the stream's offset is its own.
 */
export function offsetAfter(messages: readonly Message<Row<unknown>>[], streamOffset: string): string {
  const last = messages.at(-1);
  const lsn = last && 'control' in last.headers && last.headers.control === 'up-to-date' ? (last.headers as { global_last_seen_lsn?: unknown }).global_last_seen_lsn : undefined;
  return typeof lsn === 'string' && /^\d+$/.test(lsn) ? `${lsn}_0` : streamOffset;
}

/**
 * The fetch the streams use: it notes schemas, bytes and reachability on the way, and paces
 * must-refetches: the official client answers a 409 with a new request at once, so a server (or a
 * proxy) answering 409 over and over would get ten requests a second per table. The first 409 in
 * a row is handed over at once; each later one waits longer (0.2, 0.4 … 30 s).
 */
function observingFetch(options: ShapeTransportOptions): typeof fetch {
  const refetchesInARow = new Map<string, number>();
  return async (input, init) => {
    let response: Response;
    try {
      response = await options.fetch(input, init);
    } catch (error) {
      if (!(init?.signal?.aborted ?? false)) options.onTransientError('OFFLINE', error);
      throw error;
    }
    const url = new URL(input instanceof Request ? input.url : String(input));
    const table = url.searchParams.get('table');
    if (table && response.status === 409) {
      const count = (refetchesInARow.get(table) ?? 0) + 1;
      refetchesInARow.set(table, count);
      if (count > 1) await pause(doubling(100, count - 1), init?.signal ?? undefined);
    } else if (table && response.ok) refetchesInARow.delete(table);
    const schema = response.headers.get('electric-schema');
    if (table && schema) options.onSchema(table, columnsOf(schema));
    options.onResponse(Number(response.headers.get('content-length') ?? 0));
    // The official client retries other 5xx by itself, as long as they last: say so meanwhile.
    if (response.status >= 500 && response.status !== 503 && table) {
      options.onTransientError('SERVER_ERROR', new Error(`HTTP ${response.status} from the sync server`), table);
    }
    // The official client waits and asks again by itself; the app can say why nothing arrives meanwhile.
    if ((response.status === 503 || response.status === 429) && table) {
      // The server's own words, unless its body is slow to come: the client's retry waits for this.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const said = await Promise.race([errorBody(response.clone()), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 1000)))]);
      clearTimeout(timer);
      options.onTransientError('SERVER_BUSY', new Error(said?.message ?? `HTTP ${response.status}`), table);
    }
    return response;
  };
}

/** A wait that doubles with each `attempt` (0 = the first) from `initialMs`, up to 30 s. */
function doubling(initialMs: number, attempt: number): number {
  return Math.min(30_000, initialMs * 2 ** Math.min(attempt, 10));
}

/** Waits `ms`, or less if `signal` aborts meanwhile. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** SERVER_BUSY: a 503 or 429 the official client retries by itself (e.g. a big first sync while the server is reading others). */
export type TransientCode = 'OFFLINE' | 'BAD_RESPONSE' | 'SERVER_ERROR' | 'SERVER_BUSY';

function transientCode(error: unknown): TransientCode {
  if (error instanceof FetchError) return error.status >= 500 ? 'SERVER_ERROR' : 'BAD_RESPONSE';
  if (error instanceof RefreshFailedError) return 'SERVER_ERROR';
  if (error instanceof TypeError && /fetch|network/i.test(error.message)) return 'OFFLINE';
  return 'BAD_RESPONSE';
}

/**
 * Errors of an answer the official client took in (its headers accepted, its offset moved past it)
 * but could not read: a body that is not JSON or not an array, a value its parser refused.
 */
function unreadAnswer(error: unknown): boolean {
  return error instanceof SyntaxError || (error instanceof FetchError && error.status >= 200 && error.status < 300);
}

/** The types the official client (with our int8 parser) reads as numbers; others stay text, json and bool aside. */
const numericTypes = new Set(['int2', 'int4', 'int8', 'float4', 'float8']);

/**
 * Why `messages`' rows do not fit `columns` (their answer's electric-schema), or undefined if they
 * do: a column the schema leaves out, a number that is not one, a bool that is not one, an array
 * that is not one. The official client parses values by the schema, so a schema that lies shows
 * as values of the wrong kind (text columns cannot be told from the values alone).
 */
export function rowMismatch(messages: readonly ShapeMessage[], columns: ReadonlyMap<string, ColumnSpec> | undefined): string | undefined {
  if (!columns) return undefined;
  for (const message of messages) {
    if (!message.value) continue;
    for (const [name, value] of Object.entries(message.value)) {
      const column = columns.get(name);
      if (!column) return `column ${name} is not in it`;
      if (value === null || value === undefined) continue;
      const fits = column.dims ? Array.isArray(value) : numericTypes.has(column.type) ? typeof value === 'number' && (!Number.isNaN(value) || column.type.startsWith('float')) : column.type === 'bool' ? typeof value === 'boolean' : column.type === 'json' || column.type === 'jsonb' ? true : typeof value === 'string';
      if (!fits) return `${name} is declared ${column.type}${column.dims ? '[]' : ''} but holds ${JSON.stringify(value)?.slice(0, 40) ?? typeof value}`;
    }
  }
  return undefined;
}

function columnsOf(header: string): ColumnSpec[] {
  const schema = JSON.parse(header) as Record<string, { type: string; dims?: number }>;
  return Object.entries(schema).map(([name, info]) => (info.dims ? { name, type: info.type, dims: info.dims } : { name, type: info.type }));
}
