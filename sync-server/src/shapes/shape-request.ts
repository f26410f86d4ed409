/**
 * The query parameters of `GET /v1/shape`, validated. Unknown parameters are ignored (the
 * official client adds cache-buster, expired_handle and app-defined ones).
 */
import { liveHoldParam } from '@niaga/protocol';
import { parseOffset, type ShapeOffset } from './offset.ts';

export interface ShapeRequest {
  readonly table: string;
  readonly where: string | undefined;
  readonly params: Readonly<Record<string, string>>;
  /** Requested columns (undefined = every column the role may see). */
  readonly columns: readonly string[] | undefined;
  readonly replica: 'default' | 'full';
  readonly offset: ShapeOffset;
  readonly handle: string | undefined;
  readonly live: boolean;
  readonly sse: boolean;
  readonly cursor: string | undefined;
  /** The longest a live request may be held (liveHoldParam); undefined: the server's default. */
  readonly liveHoldMs: number | undefined;
}

export class ShapeRequestError extends Error {
  override readonly name = 'ShapeRequestError';
  constructor(
    readonly code: 'VALIDATION_FAILED' | 'FORBIDDEN' | 'INVALID_WHERE',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Query = Readonly<Record<string, string | string[] | undefined>>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new ShapeRequestError('VALIDATION_FAILED', `Query parameter "${name}" was given more than once`);
  return value;
}

/** Splits a `columns` list: quoted identifiers keep their case, bare ones are lower-cased. */
export function parseColumnList(text: string): string[] {
  const columns: string[] = [];
  const pattern = /\s*(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))\s*(,|$)/y;
  let index = 0;
  while (index < text.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) throw new ShapeRequestError('VALIDATION_FAILED', `"columns" must be a comma-separated list of column names; cannot read it at position ${index}`);
    columns.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : match[2]!.toLowerCase());
    index = pattern.lastIndex;
    if (match[3] === '') break;
  }
  if (columns.length === 0) throw new ShapeRequestError('VALIDATION_FAILED', '"columns" is empty');
  return columns;
}

/** `schema.table`, both parts plain or quoted identifiers. */
export function parseTableName(text: string): string {
  const match = /^(?:"([^"]+)"|([A-Za-z_][A-Za-z0-9_]*))\.(?:"([^"]+)"|([A-Za-z_][A-Za-z0-9_]*))$/.exec(text.trim());
  if (!match) throw new ShapeRequestError('VALIDATION_FAILED', `"table" must be schema.table, e.g. catalog.products; got "${text}"`);
  const schema = match[1] ?? match[2]!.toLowerCase();
  const table = match[3] ?? match[4]!.toLowerCase();
  return `${schema}.${table}`;
}

export function parseShapeRequest(query: Query): ShapeRequest {
  const table = single(query, 'table');
  if (!table) throw new ShapeRequestError('VALIDATION_FAILED', 'The "table" query parameter is required (schema.table, e.g. catalog.products)');
  const offsetText = single(query, 'offset');
  if (offsetText === undefined) throw new ShapeRequestError('VALIDATION_FAILED', 'The "offset" query parameter is required (-1 for a fresh sync)');
  const offset = parseOffset(offsetText);
  if (!offset) throw new ShapeRequestError('VALIDATION_FAILED', `"offset" must be -1, now, or an electric-offset this server returned; got "${offsetText}"`);
  const handle = single(query, 'handle');
  const fresh = offset.kind === 'before-all' || offset.kind === 'now';
  if (!fresh && !handle) throw new ShapeRequestError('VALIDATION_FAILED', `"handle" is required with offset ${offsetText}`);
  const live = single(query, 'live') === 'true';
  if (live && fresh) throw new ShapeRequestError('VALIDATION_FAILED', 'live=true needs an offset returned by a previous response, not -1 or now');
  const sse = live && (single(query, 'live_sse') === 'true' || single(query, 'experimental_live_sse') === 'true');
  const replica = single(query, 'replica') ?? 'default';
  if (replica !== 'default' && replica !== 'full') throw new ShapeRequestError('VALIDATION_FAILED', `"replica" must be default or full; got "${replica}"`);
  const log = single(query, 'log');
  if (log !== undefined && log !== 'full') throw new ShapeRequestError('VALIDATION_FAILED', 'Only log=full is supported (changes_only subset snapshots are not)');
  if (Object.keys(query).some((key) => key.startsWith('subset__'))) {
    throw new ShapeRequestError('VALIDATION_FAILED', 'Subset snapshots (subset__* parameters) are not supported');
  }
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!key.startsWith('params[')) continue;
    // $1 … $999, as the where clause numbers them: params[01] would silently stand in for params[1].
    const match = /^params\[([1-9]\d{0,2})\]$/.exec(key);
    if (!match) throw new ShapeRequestError('VALIDATION_FAILED', `Query parameter "${key}" is not params[n] with n from 1 to 999 (no leading zeros)`);
    if (typeof value !== 'string') throw new ShapeRequestError('VALIDATION_FAILED', `Query parameter "${key}" was given more than once`);
    params[String(Number(match[1]))] = value;
  }
  const holdText = single(query, liveHoldParam);
  const liveHoldMs = holdText === undefined ? undefined : Number(holdText);
  if (liveHoldMs !== undefined && !(Number.isInteger(liveHoldMs) && liveHoldMs >= 0 && liveHoldMs <= 60_000)) {
    throw new ShapeRequestError('VALIDATION_FAILED', `"${liveHoldParam}" must be an integer from 0 to 60000 (milliseconds); got "${holdText}"`);
  }
  const where = single(query, 'where');
  const columns = single(query, 'columns');
  return {
    table: parseTableName(table),
    where: where === undefined || where.trim() === '' ? undefined : where,
    params,
    columns: columns === undefined ? undefined : parseColumnList(columns),
    replica,
    offset,
    handle: fresh ? undefined : handle,
    live,
    sse,
    cursor: single(query, 'cursor'),
    liveHoldMs,
  };
}
