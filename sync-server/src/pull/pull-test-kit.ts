/**
 * Test support for the pull endpoint: raw push/pull requests, a seeded shop, and a model of a
 * Replicache client that applies pull responses the way replicache@15.3.0 does and fails on
 * anything the real client would refuse (a cookie going down, a last mutation id going down, a
 * changed response under the same cookie).
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Queryable } from '@niaga/db';
import type { PullRequestCookie, PullResponseOK } from '@niaga/protocol';
import { expect } from 'vitest';
import type { ShapeServer } from '../test-support/shape-server.ts';
import { compareCookies } from './pull-cookie.ts';

export interface HttpResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function postJson(server: ShapeServer, path: string, token: string | undefined, body: unknown): Promise<HttpResult> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

export const pullBody = (clientGroupID: string, cookie: PullRequestCookie) => ({ pullVersion: 1, clientGroupID, cookie, profileID: 'profile', schemaVersion: '1' });

export async function pull(server: ShapeServer, token: string, clientGroupID: string, cookie: PullRequestCookie): Promise<PullResponseOK> {
  const result = await postJson(server, '/api/v1/sync/pull', token, pullBody(clientGroupID, cookie));
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  return result.body as unknown as PullResponseOK;
}

export interface Mutation {
  clientID: string;
  id: number;
  name: string;
  args: unknown;
  timestamp: number;
}

export async function push(server: ShapeServer, token: string, clientGroupID: string, mutations: Mutation[]): Promise<void> {
  const result = await postJson(server, '/api/v1/sync/push', token, { pushVersion: 1, clientGroupID, profileID: 'profile', schemaVersion: '1', mutations });
  expect(result.status, JSON.stringify(result.body)).toBe(200);
}

export const cartAdd = (clientID: string, id: number, productID: string, itemID: string, qty = 1): Mutation => ({
  clientID,
  id,
  name: 'cart.add',
  args: { itemID, productID, qty },
  timestamp: id,
});

/** A Replicache client's view, fed pull responses. */
export class ReplicaModel {
  cookie: PullRequestCookie = null;
  readonly rows = new Map<string, unknown>();
  readonly lastMutationIDs: Record<string, number> = {};

  /** Applies a response as Replicache would; returns whether it changed anything. */
  apply(response: PullResponseOK): boolean {
    if (isDeepStrictEqual(response.cookie, this.cookie)) {
      // Replicache ignores a patch under an unchanged cookie: there must be none.
      expect(response.patch).toEqual([]);
      expect(response.lastMutationIDChanges).toEqual({});
      return false;
    }
    expect(compareCookies(response.cookie, this.cookie), `cookie ${JSON.stringify(response.cookie)} after ${JSON.stringify(this.cookie)}`).toBeGreaterThan(0);
    for (const [clientID, id] of Object.entries(response.lastMutationIDChanges)) {
      expect(id, `last mutation id of ${clientID}`).toBeGreaterThanOrEqual(this.lastMutationIDs[clientID] ?? 0);
      this.lastMutationIDs[clientID] = id;
    }
    for (const operation of response.patch) {
      if (operation.op === 'clear') this.rows.clear();
      else if (operation.op === 'del') this.rows.delete(operation.key);
      else this.rows.set(operation.key, operation.value);
    }
    this.cookie = response.cookie;
    return true;
  }

  keys(prefix = ''): string[] {
    return [...this.rows.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  /** The rows under a table's prefix, by key. */
  table(name: string): Record<string, Record<string, unknown>> {
    return Object.fromEntries(this.keys(`${name}/`).map((key) => [key, this.rows.get(key) as Record<string, unknown>]));
  }
}

/** A shop: one territory, products (one inactive, with costs), and helpers to add customers. */
export async function seedShop(db: Queryable) {
  const territoryID = randomUUID();
  const [tea, coffee, retired] = [randomUUID(), randomUUID(), randomUUID()];
  const sku = () => `SKU-${randomUUID().slice(0, 8)}`;
  await db.query(
    `insert into catalog.products (id, sku, name, price_minor, cost_minor, active, tags) values
       ($1, $4, 'Tea', 250, 100, true, '{hot,"green leaf"}'), ($2, $5, 'Coffee', 300, 120, true, '{}'), ($3, $6, 'Chicory', 200, 90, false, '{}')`,
    [tea, coffee, retired, sku(), sku(), sku()],
  );
  return { territoryID, products: { tea, coffee, retired } };
}

export async function addCustomer(db: Queryable, territoryID: string, name = 'Shopper'): Promise<string> {
  const id = randomUUID();
  await db.query('insert into customers.customers (id, name, territory_id) values ($1, $2, $3)', [id, name, territoryID]);
  return id;
}
