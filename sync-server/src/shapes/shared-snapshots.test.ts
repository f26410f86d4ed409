import { expect, test } from 'vitest';
import type { ShapeHandle } from './shape-log.ts';
import { SharedSnapshots } from './shared-snapshots.ts';

const handle = (name: string): ShapeHandle => ({ handle: name, definitionHash: 'h', snapshotLsn: 1n, snapshot: { xmin: 1n, xmax: 1n, xip: [] } });
const snapshot = (name: string, body = 'x', last = true) => ({ handle: handle(name), first: { body, rows: 1, last } });
const always = () => true;

test('callers of one definition meanwhile and within the window share the one snapshot; other definitions take their own', async () => {
  const shared = new SharedSnapshots(60_000);
  let taken = 0;
  const take = (name: string) => async () => (taken++, snapshot(name));
  const answers = await Promise.all([shared.share('a', take('a1'), always), shared.share('a', take('a2'), always), shared.share('b', take('b1'), always)]);
  expect(answers.map((answer) => answer.snapshot.handle.handle)).toEqual(['a1', 'a1', 'b1']);
  expect(answers.map((answer) => answer.shared)).toEqual([false, true, false]);
  expect((await shared.share('a', take('a3'), always)).shared).toBe(true);
  expect(taken).toBe(2);
});

test('not shared: a snapshot of more pages, a failed one, one its check refuses, one forgotten, or with a window of 0', async () => {
  const shared = new SharedSnapshots(60_000);
  await shared.share('paged', async () => snapshot('p1', 'x', false), always);
  expect((await shared.share('paged', async () => snapshot('p2'), always)).snapshot.handle.handle).toBe('p2');
  await expect(shared.share('failed', () => Promise.reject(new Error('busy')), always)).rejects.toThrow('busy');
  expect((await shared.share('failed', async () => snapshot('f2'), always)).shared).toBe(false);
  await shared.share('stale', async () => snapshot('s1'), always);
  expect((await shared.share('stale', async () => snapshot('s2'), () => false)).snapshot.handle.handle).toBe('s2');
  await shared.share('gone', async () => snapshot('g1'), always);
  shared.forget('gone');
  expect((await shared.share('gone', async () => snapshot('g2'), always)).shared).toBe(false);
  const never = new SharedSnapshots(0);
  await never.share('a', async () => snapshot('a1'), always);
  expect((await never.share('a', async () => snapshot('a2'), always)).shared).toBe(false);
});

test('past the character budget the oldest pages go first; after the window, none is shared', async () => {
  const shared = new SharedSnapshots(50, 10);
  await shared.share('old', async () => snapshot('o1', 'x'.repeat(6)), always);
  await shared.share('new', async () => snapshot('n1', 'x'.repeat(6)), always);
  expect((await shared.share('old', async () => snapshot('o2'), always)).shared).toBe(false);
  expect((await shared.share('new', async () => snapshot('n2'), always)).shared).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 80));
  expect((await shared.share('new', async () => snapshot('n3'), always)).shared).toBe(false);
});
