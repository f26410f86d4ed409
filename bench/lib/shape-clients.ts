/**
 * Many live shape clients without 1,000 ShapeStream objects: each is a plain HTTP loop that
 * follows the protocol as the official client does (offset=-1 snapshot pages, then
 * live=true long-polls with handle, offset and cursor), handing every live body to a callback.
 * Used by live-latency.ts and fan-out.ts: pickers on stock_items scoped per warehouse by their
 * token, and (fan-out.ts) any other shape query, e.g. admin shapes with a `where`.
 *
 * The loops use node:http with a keep-alive agent, not fetch: with 1,000 clients, undici's fetch
 * cost this process ~1.3 ms of CPU per response, enough to saturate it and to show up as
 * latency of its own (the bench and the server share two cores).
 */
import { Agent, request } from 'node:http';
import { setMaxListeners } from 'node:events';
import type pg from 'pg';
import type { ServerProcess } from './harness.ts';

export const stockTable = 'inventory.stock_items';

export interface Warehouses {
  readonly ids: readonly string[];
  /** Per warehouse, the ids of its stock items (seeded ones). */
  readonly items: readonly (readonly string[])[];
}

/** `count` warehouses with `itemsPerWarehouse` stock items each, in two set-based inserts. */
export async function seedWarehouses(client: pg.Client, count: number, itemsPerWarehouse: number): Promise<Warehouses> {
  const { rows: warehouses } = await client.query<{ id: string }>(
    `insert into inventory.warehouses (code, name) select 'WH-' || lpad(g::text, 4, '0'), 'Warehouse ' || g from generate_series(1, $1::int) g returning id`,
    [count],
  );
  const ids = warehouses.map((row) => row.id);
  const { rows } = await client.query<{ id: string; warehouse_id: string }>(
    `insert into inventory.stock_items (warehouse_id, product_id, on_hand, reserved, reorder_point)
     select w, gen_random_uuid(), 10 + g % 90, g % 5, 0 from unnest($1::uuid[]) w, generate_series(1, $2::int) g
     returning id, warehouse_id`,
    [ids, itemsPerWarehouse],
  );
  await client.query('analyze inventory.stock_items');
  const items = ids.map((id) => rows.filter((row) => row.warehouse_id === id).map((row) => row.id));
  return { ids, items };
}

/**
 * Change messages in a response body, without parsing it: the server writes each with
 * JSON.stringify (no spaces), and control messages carry no "operation".
 */
export function countChanges(body: string): number {
  let count = 0;
  for (let at = body.indexOf('"operation":"'); at !== -1; at = body.indexOf('"operation":"', at + 13)) count += 1;
  return count;
}

/** Insert messages in a response body, without parsing it (the server's JSON may have spaces after colons). */
export function countInserts(body: string): number {
  return (body.match(/"operation"\s*:\s*"insert"/g) ?? []).length;
}

export interface LiveBody {
  readonly body: string;
  /** When the response had fully arrived (its 'end'), before this simulated client did any work on it. */
  readonly receivedAt: number;
  /** The lsn part of the electric-offset this response moved the client to. */
  readonly offsetLsn: bigint;
}

export interface HttpResponse {
  readonly status: number;
  header(name: string): string | undefined;
  readonly body: string;
  /** performance.now() when the body had fully arrived. */
  readonly receivedAt: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

/** A GET over a keep-alive connection, body read whole as UTF-8. */
export function httpGet(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const receivedAt = performance.now();
        const value = (name: string) => {
          const raw = res.headers[name];
          return Array.isArray(raw) ? raw.join(', ') : raw;
        };
        resolve({ status: res.statusCode ?? 0, header: value, body: Buffer.concat(chunks).toString('utf8'), receivedAt });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export interface ClientStats {
  responses: number;
  errors: number;
  lastError: string | undefined;
}

/**
 * One live shape client. By default a picker: a warehouse-role token, one shape on stock_items
 * (the rule scopes it to their warehouse); `shapeQuery` (table, where, params[n], columns, all
 * URL-encoded) makes it any other shape.
 */
export class LongPollClient {
  handle = '';
  offset = '-1';
  cursor = '';
  snapshotRows = 0;
  readonly stats: ClientStats = { responses: 0, errors: 0, lastError: undefined };
  private running: Promise<void> | undefined;

  constructor(
    readonly index: number,
    readonly warehouse: number,
    private readonly shapeUrl: string,
    private readonly token: string,
    private readonly signal: AbortSignal,
    readonly shapeQuery = `table=${stockTable}`,
  ) {}

  private async get(params: string): Promise<{ response: HttpResponse; body: string }> {
    const response = await httpGet(`${this.shapeUrl}?${params}`, { Authorization: `Bearer ${this.token}` }, this.signal);
    return { response, body: response.body };
  }

  private follow(response: HttpResponse): void {
    this.handle = response.header('electric-handle') ?? this.handle;
    this.offset = response.header('electric-offset') ?? this.offset;
    this.cursor = response.header('electric-cursor') ?? this.cursor;
  }

  /** The initial snapshot (every page) up to its up-to-date. */
  async snapshot(): Promise<void> {
    this.offset = '-1';
    this.handle = '';
    for (let page = 0; ; page++) {
      const handle = this.handle ? `handle=${encodeURIComponent(this.handle)}&` : '';
      const { response, body } = await this.get(`${handle}log=full&offset=${this.offset}&${this.shapeQuery}`);
      if (response.status !== 200) throw new Error(`client ${this.index}: snapshot answered ${response.status}: ${body.slice(0, 200)}`);
      this.snapshotRows += countInserts(body);
      this.follow(response);
      if (response.header('electric-up-to-date') !== undefined) return;
      if (page > 1000) throw new Error(`client ${this.index}: the snapshot did not end`);
    }
  }

  /**
   * Long-polls until the signal aborts, handing each 200 body to `onBody`. As the official client
   * does, a response without electric-up-to-date is followed by a catch-up (non-live) request.
   */
  startLive(onBody: (client: LongPollClient, live: LiveBody) => void, options: { readonly timestampFirst?: boolean } = {}): void {
    let upToDate = true;
    this.running = (async () => {
      while (!this.signal.aborted) {
        try {
          const live = upToDate ? '&live=true' : '';
          const { response, body } = await this.get(
            `cursor=${encodeURIComponent(this.cursor)}&handle=${encodeURIComponent(this.handle)}${live}&log=full&offset=${this.offset}&${this.shapeQuery}`,
          );
          const { receivedAt } = response;
          // timestampFirst: these clients share one process, unlike real devices; responses that
          // arrived together are all timestamped (in their 'end') before any simulated client
          // works on its own, so one client's parsing and next request are not counted in another's
          // latency. (It also spreads the clients' next requests out in time, which changes how
          // often the server can share one read between them: fan-out.ts does not use it.)
          if (options.timestampFirst) await new Promise<void>((resolve) => setImmediate(resolve));
          this.stats.responses += 1;
          if (response.status === 409) {
            this.stats.errors += 1;
            this.stats.lastError = `409 ${body.slice(0, 120)}`;
            await this.snapshot();
            upToDate = true;
            continue;
          }
          if (response.status !== 200) {
            this.stats.errors += 1;
            this.stats.lastError = `${response.status} ${body.slice(0, 120)}`;
            await new Promise((resolve) => setTimeout(resolve, 100));
            continue;
          }
          this.follow(response);
          upToDate = response.header('electric-up-to-date') !== undefined;
          onBody(this, { body, receivedAt, offsetLsn: BigInt(this.offset.split('_')[0] ?? '0') });
        } catch (error) {
          if (this.signal.aborted) return;
          this.stats.errors += 1;
          this.stats.lastError = error instanceof Error ? error.message : String(error);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    })();
  }

  async stopped(): Promise<void> {
    await this.running;
  }
}

/**
 * `count` clients, round-robin over the warehouses, each with its own token; their snapshots are
 * taken `concurrency` at a time. Returns once every client has its snapshot (none is live yet).
 */
export async function connectClients(server: ServerProcess, warehouses: Warehouses, count: number, concurrency: number, signal: AbortSignal): Promise<LongPollClient[]> {
  setMaxListeners(0, signal); // one abort listener per request in flight
  const clients: LongPollClient[] = [];
  for (let i = 0; i < count; i++) {
    const warehouse = i % warehouses.ids.length;
    const token = await server.token('warehouse', { warehouse_id: warehouses.ids[warehouse]! });
    clients.push(new LongPollClient(i, warehouse, server.shapeUrl, token, signal));
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < clients.length) await clients[next++]!.snapshot();
    }),
  );
  return clients;
}

/** Waits until the server holds at least `count` live requests (or the timeout passes); returns what it saw. */
export async function waitForWaiting(server: ServerProcess, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let waiting = 0;
  while (Date.now() < deadline) {
    waiting = await server.waiting();
    if (waiting >= count) return waiting;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return waiting;
}
