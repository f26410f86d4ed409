import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite } from '../test-support/shape-server.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import { takeSnapshot } from './shape-log.ts';
import { loadTableCatalog } from './table-catalog.ts';

let db: PgliteExecutor;
beforeAll(async () => {
  db = await capturedPglite();
}, 60_000);
afterAll(async () => db.close());

// A Postgres function takes at most 100 arguments: one json_build_object holds 50 columns.
test.each([50, 51, 101, 120])('a snapshot of a table with %i columns carries every column', async (width) => {
  const names = Array.from({ length: width - 1 }, (_, index) => `c${index + 1}`);
  await db.exec(`create schema if not exists wide;
    create table wide.t${width} (id int primary key, ${names.map((name) => `${name} text`).join(', ')});
    insert into wide.t${width} values (1, ${names.map((name, index) => (index % 7 === 3 ? 'null' : `'${name} value}'`)).join(', ')});`);
  const table = (await loadTableCatalog(db, [`wide.t${width}`])).get(`wide.t${width}`)!;
  const shape: ShapeDefinition = { table, columns: table.columns, rule: [[]], where: undefined, replica: 'default', hash: `wide${width}` };
  const snapshot = await takeSnapshot(db, shape);
  const page = snapshot.first;
  const [message] = JSON.parse(`[${page.body}]`) as { value: Record<string, string | null> }[];
  expect(Object.keys(message!.value)).toHaveLength(width);
  expect(message!.value).toEqual({ id: '1', ...Object.fromEntries(names.map((name, index) => [name, index % 7 === 3 ? null : `${name} value}`])) });
});
