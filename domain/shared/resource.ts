/**
 * A REST resource over one table, declared once: its schemas, filters, who may read and write
 * which rows, and hooks for the domain rules. `registerResource` turns it into list (cursor
 * pagination + filters), get, create, PATCH and delete routes that check the caller's role.
 */
import type { Executor, Queryable } from '@niaga/db';
import { ErrorBody, IdParams, Page, PageQuery, type AccessClaims, type Role } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { Type, type TObject, type TSchema } from 'typebox';
import { rowToEntity, toSnake } from './case.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { DomainError, forbidden, notFound } from './errors.ts';
import { ident, Params } from './sql.ts';
import { requireUser } from './user.ts';

/** Equality conditions on scope columns, ANDed; `{}` means every row. */
export type RowScope = Readonly<Record<string, unknown>>;
/** Rows matching any one of these scopes (an OR of ANDs), e.g. transfers from or to my warehouse. */
export type AnyOfScopes = readonly RowScope[];
export type Scope = RowScope | AnyOfScopes;
export const allRows: RowScope = {};
export type Values = Record<string, unknown>;

export const isAnyOf = (scope: Scope): scope is AnyOfScopes => Array.isArray(scope);

export type Filter =
  | { kind: 'eq'; column: string; schema: TSchema }
  | { kind: 'search'; columns: readonly string[] }
  | { kind: 'contains'; column: string; schema: TSchema }
  /**
   * A condition written by the resource, e.g. `lowStock=true`; `param` binds a value and returns its
   * placeholder. `columns` names what it reads, so a role that may not see one cannot filter on it.
   */
  | { kind: 'where'; schema: TSchema; columns: readonly string[]; sql(value: unknown, param: (value: unknown) => string): string };

/** The columns a filter compares: a role must be allowed to see each of them to use it. */
function columnsRead(filter: Filter): readonly string[] {
  return filter.kind === 'search' || filter.kind === 'where' ? filter.columns : [filter.column];
}

/** Rows of another table shown inside a parent on get, create and PATCH answers (an order's items). */
export interface ChildRows {
  /** The child entity (camelCase); its keys, snake_cased, are the selected columns. */
  entity: TObject;
  table: string;
  /** The child column that holds the parent's id. */
  parentColumn: string;
  /** Columns to order by; the id always breaks ties. Default created_at. */
  orderBy?: readonly string[];
}

export interface ResourceAccess {
  /** Rows this user may read, or 'deny'. */
  read(user: AccessClaims): Scope | 'deny';
  /** Columns (snake_case) left out of what this user sees, e.g. cost for non-admins. */
  hiddenColumns?(user: AccessClaims): readonly string[];
  /** The only columns (snake_case) this user sees, or 'all'; with hiddenColumns, both apply. */
  visibleColumns?(user: AccessClaims): readonly string[] | 'all';
  /** Checks and completes a new row's values (snake_case); throw forbidden() to refuse. Absent: admins only. */
  create?(user: AccessClaims, values: Values): Values | Promise<Values>;
  /** Rows this user may change, or 'deny'. Absent: admins only. */
  update?(user: AccessClaims, patch: Values): Scope | 'deny';
  /** Rows this user may delete, or 'deny'. Absent: admins only. */
  remove?(user: AccessClaims): Scope | 'deny';
}

export interface ResourceHooks {
  afterCreate?(tx: Queryable, row: Values, user: AccessClaims): Promise<void>;
  /** Returns the patch to write (e.g. with a password hashed); may throw to refuse. */
  beforeUpdate?(tx: Queryable, before: Values, patch: Values, user: AccessClaims): Promise<Values>;
  afterUpdate?(tx: Queryable, before: Values, after: Values, user: AccessClaims): Promise<void>;
  beforeDelete?(tx: Queryable, row: Values, user: AccessClaims): Promise<void>;
}

export interface ResourceDefinition {
  /** Singular, for messages: "product". */
  name: string;
  table: string;
  /** OpenAPI tag. */
  tag: string;
  /** The response entity (camelCase). Its keys, snake_cased, are the selected columns. */
  entity: TObject;
  createBody?: TObject;
  patchBody?: TObject;
  deletable?: boolean;
  filters?: Readonly<Record<string, Filter>>;
  /** Sort column for lists (the id breaks ties). Default created_at. */
  sortColumn?: string;
  /** Child rows included in get, create and PATCH answers (not in lists), keyed by the property name. */
  children?: Readonly<Record<string, ChildRows>>;
  access: ResourceAccess;
  hooks?: ResourceHooks;
}

const adminOnly = (user: AccessClaims): RowScope | 'deny' => (user.role === 'admin' ? allRows : 'deny');

function columnsOf(entity: TObject): string[] {
  return Object.keys(entity.properties).map(toSnake);
}

function toValues(body: Record<string, unknown>): Values {
  const values: Values = {};
  for (const [key, value] of Object.entries(body)) if (value !== undefined) values[toSnake(key)] = value;
  return values;
}

function andSql(scope: RowScope, params: Params): string[] {
  return Object.entries(scope).map(([column, value]) => `${ident(column)} = ${params.add(value)}`);
}

function scopeSql(scope: Scope, params: Params): string[] {
  if (!isAnyOf(scope)) return andSql(scope, params);
  if (scope.length === 0) return ['false'];
  const branches = scope.map((branch) => andSql(branch, params));
  if (branches.some((conditions) => conditions.length === 0)) return [];
  return [`(${branches.map((conditions) => `(${conditions.join(' and ')})`).join(' or ')})`];
}

/** The entity with each child list added: what get, create and PATCH answer with. */
export function detailEntityOf(entity: TObject, children: Readonly<Record<string, ChildRows>> = {}): TObject {
  const lists = Object.fromEntries(Object.entries(children).map(([key, child]) => [key, Type.Array(child.entity)]));
  return Object.keys(lists).length === 0 ? entity : Type.Object({ ...entity.properties, ...lists });
}

export class ResourceStore {
  readonly columns: string[];
  readonly detailEntity: TObject;
  constructor(readonly def: ResourceDefinition) {
    this.columns = columnsOf(def.entity);
    this.detailEntity = detailEntityOf(def.entity, def.children);
  }

  /** The row with its child lists (already camelCase) added under their keys. */
  async withChildren(db: Queryable, row: Values): Promise<Values> {
    const detailed: Values = { ...row };
    for (const [key, child] of Object.entries(this.def.children ?? {})) {
      const order = [...(child.orderBy ?? ['created_at']), 'id'].map(ident).join(', ');
      const { rows } = await db.query<Values>(
        `select ${columnsOf(child.entity).map(ident).join(', ')} from ${ident(child.table)} where ${ident(child.parentColumn)} = $1 order by ${order}`,
        [row.id],
      );
      detailed[key] = rows.map(rowToEntity);
    }
    return detailed;
  }

  private selectList(): string {
    return this.columns.map(ident).join(', ');
  }

  /** The columns this user may not see (nor filter on). */
  private hiddenFrom(user: AccessClaims): readonly string[] {
    const hidden = this.def.access.hiddenColumns?.(user) ?? [];
    const visible = this.def.access.visibleColumns?.(user) ?? 'all';
    return visible === 'all' ? hidden : [...hidden, ...this.columns.filter((column) => !visible.includes(column))];
  }

  present(row: Values, user: AccessClaims): Record<string, unknown> {
    const hidden = this.hiddenFrom(user);
    const visible: Values = {};
    for (const [key, value] of Object.entries(row)) if (!hidden.includes(key) && key !== '__sort') visible[key] = value;
    return rowToEntity(visible);
  }

  /** Refuses a filter on a column this user does not see: its answers would tell them the values. */
  refuseHiddenFilters(user: AccessClaims, query: Record<string, unknown>): void {
    const hidden = this.hiddenFrom(user);
    for (const [name, filter] of Object.entries(this.def.filters ?? {})) {
      const column = query[name] === undefined ? undefined : columnsRead(filter).find((read) => hidden.includes(read));
      if (column !== undefined) throw forbidden(`Your role may not filter ${this.def.name}s by ${name}: it compares ${column}, which your role does not see`);
    }
  }

  /**
   * The column this user's list is sorted by, or null for the id alone: when the user may not see
   * the sort column, both the order of the rows and a cursor holding the last row's value would
   * tell them its values (the cursor is readable, and one written by hand would ask "which rows
   * come after this value?"). The id is visible to everyone, unique and never changes, so a list
   * keyed on it pages every row that was there exactly once, whatever is inserted meanwhile.
   */
  private sortColumnFor(user: AccessClaims): string | null {
    const sort = this.def.sortColumn ?? 'created_at';
    return this.hiddenFrom(user).includes(sort) ? null : sort;
  }

  async list(db: Queryable, scope: Scope, query: Record<string, unknown>, user: AccessClaims): Promise<{ rows: Values[]; nextCursor: string | null }> {
    const params = new Params();
    const where = scopeSql(scope, params);
    for (const [name, filter] of Object.entries(this.def.filters ?? {})) {
      const value = query[name];
      if (value === undefined) continue;
      if (filter.kind === 'eq') where.push(`${ident(filter.column)} = ${params.add(value)}`);
      if (filter.kind === 'contains') where.push(`${ident(filter.column)} @> array[${params.add(value)}]::text[]`);
      if (filter.kind === 'where') where.push(`(${filter.sql(value, (bound) => params.add(bound))})`);
      if (filter.kind === 'search') {
        const pattern = params.add(`%${(value as string).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        where.push(`(${filter.columns.map((column) => `${ident(column)} ilike ${pattern}`).join(' or ')})`);
      }
    }
    const sortColumn = this.sortColumnFor(user);
    const sort = sortColumn === null ? null : `${ident(sortColumn)}::text`;
    if (typeof query.cursor === 'string') {
      if (sort === null) {
        where.push(`"id" > ${params.add(decodeCursor(query.cursor, false).id)}::uuid`);
      } else {
        const cursor = decodeCursor(query.cursor, true);
        where.push(`(${sort}, "id") > (${params.add(cursor.sortValue)}, ${params.add(cursor.id)}::uuid)`);
      }
    }
    const limit = typeof query.limit === 'number' ? query.limit : 50;
    const { rows } = await db.query<Values>(
      `select ${this.selectList()}${sort === null ? '' : `, ${sort} as __sort`} from ${ident(this.def.table)}
       ${where.length ? `where ${where.join(' and ')}` : ''}
       order by ${sort === null ? '' : `${sort}, `}"id" limit ${limit + 1}`,
      params.values,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    if (rows.length <= limit || !last) return { rows: page, nextCursor: null };
    const id = String(last.id);
    return { rows: page, nextCursor: encodeCursor(sort === null ? { id } : { sortValue: (last.__sort as string | null) ?? null, id }) };
  }

  async get(db: Queryable, id: string, scope: Scope, lock = false): Promise<Values | undefined> {
    const params = new Params();
    const where = [`"id" = ${params.add(id)}`, ...scopeSql(scope, params)];
    const { rows } = await db.query<Values>(
      `select ${this.selectList()} from ${ident(this.def.table)} where ${where.join(' and ')}${lock ? ' for update' : ''}`,
      params.values,
    );
    return rows[0];
  }

  async insert(db: Queryable, values: Values): Promise<Values> {
    const params = new Params();
    const columns = Object.keys(values);
    const { rows } = await db.query<Values>(
      `insert into ${ident(this.def.table)} (${columns.map(ident).join(', ')})
       values (${columns.map((column) => params.add(values[column])).join(', ')})
       returning ${this.selectList()}`,
      params.values,
    );
    return rows[0]!;
  }

  async update(db: Queryable, id: string, values: Values): Promise<Values> {
    const params = new Params();
    const sets = Object.keys(values).map((column) => `${ident(column)} = ${params.add(values[column])}`);
    if (sets.length === 0) sets.push('"id" = "id"');
    const { rows } = await db.query<Values>(
      `update ${ident(this.def.table)} set ${sets.join(', ')} where "id" = ${params.add(id)} returning ${this.selectList()}`,
      params.values,
    );
    return rows[0]!;
  }

  async delete(db: Queryable, id: string): Promise<void> {
    await db.query(`delete from ${ident(this.def.table)} where "id" = $1`, [id]);
  }
}

function allowed(scope: Scope | 'deny', message: string): Scope {
  if (scope === 'deny') throw forbidden(message);
  return scope;
}

export function registerResource(app: FastifyInstance, db: Executor, path: string, def: ResourceDefinition): ResourceStore {
  const store = new ResourceStore(def);
  const { access, hooks = {} } = def;
  const filterSchemas: Record<string, TSchema> = {};
  for (const [name, filter] of Object.entries(def.filters ?? {})) {
    filterSchemas[name] = Type.Optional(filter.kind === 'search' ? Type.String({ minLength: 1, maxLength: 200 }) : filter.schema);
  }
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
  const security = [{ bearerAuth: [] }];
  const plural = `${def.name}s`;

  app.get(path, {
    schema: {
      tags: [def.tag],
      summary: `List ${plural}`,
      security,
      querystring: Type.Object({ ...PageQuery, ...filterSchemas }, { additionalProperties: false }),
      response: { 200: Page(def.entity), ...errors },
    },
    handler: async (request) => {
      const user = requireUser(request);
      const scope = allowed(access.read(user), `Your role may not list ${plural}`);
      const query = request.query as Record<string, unknown>;
      store.refuseHiddenFilters(user, query);
      const page = await store.list(db, scope, query, user);
      return { items: page.rows.map((row) => store.present(row, user)), nextCursor: page.nextCursor };
    },
  });

  app.get(`${path}/:id`, {
    schema: { tags: [def.tag], summary: `Get a ${def.name}`, security, params: IdParams, response: { 200: store.detailEntity, ...errors } },
    handler: async (request) => {
      const user = requireUser(request);
      const scope = allowed(access.read(user), `Your role may not read ${plural}`);
      const row = await store.get(db, (request.params as IdParams).id, scope);
      if (!row) throw notFound(def.name);
      return store.present(await store.withChildren(db, row), user);
    },
  });

  if (def.createBody) {
    const createBody = def.createBody;
    app.post(path, {
      schema: { tags: [def.tag], summary: `Create a ${def.name}`, security, body: createBody, response: { 201: store.detailEntity, ...errors } },
      handler: async (request, reply) => {
        const user = requireUser(request);
        const values = toValues(request.body as Record<string, unknown>);
        const checked = access.create ? await access.create(user, values) : (allowed(adminOnly(user), `Only admins may create ${plural}`), values);
        const row = await db.transaction(async (tx) => {
          const inserted = await store.insert(tx, checked);
          await hooks.afterCreate?.(tx, inserted, user);
          return store.withChildren(tx, inserted);
        });
        return reply.code(201).send(store.present(row, user));
      },
    });
  }

  if (def.patchBody) {
    const patchBody = def.patchBody;
    app.patch(`${path}/:id`, {
      schema: { tags: [def.tag], summary: `Change some fields of a ${def.name}`, security, params: IdParams, body: patchBody, response: { 200: store.detailEntity, ...errors } },
      handler: async (request) => {
        const user = requireUser(request);
        const patch = toValues(request.body as Record<string, unknown>);
        const scope = allowed((access.update ?? adminOnly)(user, patch), `Your role may not change ${plural}`);
        const id = (request.params as IdParams).id;
        const row = await db.transaction(async (tx) => {
          const before = await store.get(tx, id, scope, true);
          if (!before) throw notFound(def.name);
          const finalPatch = hooks.beforeUpdate ? await hooks.beforeUpdate(tx, before, patch, user) : patch;
          const after = await store.update(tx, id, finalPatch);
          await hooks.afterUpdate?.(tx, before, after, user);
          return store.withChildren(tx, after);
        });
        return store.present(row, user);
      },
    });
  }

  if (def.deletable) {
    app.delete(`${path}/:id`, {
      schema: { tags: [def.tag], summary: `Delete a ${def.name}`, security, params: IdParams, response: { 204: Type.Null(), ...errors } },
      handler: async (request, reply) => {
        const user = requireUser(request);
        const scope = allowed((access.remove ?? adminOnly)(user), `Your role may not delete ${plural}`);
        const id = (request.params as IdParams).id;
        await db.transaction(async (tx) => {
          const row = await store.get(tx, id, scope, true);
          if (!row) throw notFound(def.name);
          await hooks.beforeDelete?.(tx, row, user);
          await store.delete(tx, id);
        });
        return reply.code(204).send();
      },
    });
  }
  return store;
}

/** For rules that compare a submitted value with a claim. */
export function ensure(condition: boolean, message: string): void {
  if (!condition) throw new DomainError('FORBIDDEN', message);
}

export const rolesFor = (...allowedRoles: Role[]) => (user: AccessClaims): RowScope | 'deny' =>
  allowedRoles.includes(user.role) ? allRows : 'deny';
