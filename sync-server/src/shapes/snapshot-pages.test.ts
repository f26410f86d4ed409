import { expect, test } from 'vitest';
import { SnapshotPageStream, type SnapshotPage } from './snapshot-pages.ts';

const page = (rows: number, last = false): SnapshotPage => ({ body: Array.from({ length: rows }, (_, index) => `{"n":${index}}`).join(','), rows, last });

test('a request for a page not read yet waits for it; pages past the last are undefined', async () => {
  const pages = new SnapshotPageStream();
  pages.push(page(2));
  const second = pages.page(1);
  const third = pages.page(2);
  const fourth = pages.page(3);
  let settled = false;
  void second.then(() => (settled = true));
  await Promise.resolve();
  expect(settled).toBe(false);
  pages.push(page(2));
  pages.push(page(0, true));
  expect(await second).toEqual(page(2));
  expect(await third).toEqual(page(0, true));
  expect(await fourth).toBeUndefined();
  expect(await pages.page(0)).toEqual(page(2));
  expect(pages.length).toBe(3);
  expect(() => pages.push(page(1))).toThrow('ended');
});

test('a failed reading fails every page not read yet, and only those', async () => {
  const pages = new SnapshotPageStream();
  pages.push(page(3));
  const waiting = pages.page(1);
  pages.fail('connection lost');
  await expect(waiting).rejects.toThrow('connection lost');
  await expect(pages.page(5)).rejects.toThrow('connection lost');
  expect(await pages.page(0)).toEqual(page(3));
  pages.fail(new Error('again')); // a second failure changes nothing
  await expect(pages.page(1)).rejects.toThrow('connection lost');
});
