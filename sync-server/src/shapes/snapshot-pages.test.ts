import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { SnapshotGoneError, SnapshotPageStream, SnapshotPages, SnapshotReaders, type PageRead, type SnapshotPage } from './snapshot-pages.ts';
import type { ShapeHandle } from './shape-log.ts';
import { SnapshotSpool } from './snapshot-spool.ts';

const handle = (name: string): ShapeHandle => ({ handle: name, definitionHash: 'h', snapshotLsn: 0n, snapshot: { xmin: 1n, xmax: 1n, xip: [] } });
const page = (rows: number, last = false): PageRead => ({ body: Array.from({ length: rows }, (_, index) => `{"n":${index}}`).join(','), rows, last });

let spool: SnapshotSpool;
beforeEach(async () => {
  spool = await SnapshotSpool.create(mkdtempSync(join(tmpdir(), 'niaga-pages-test-')), 1024 * 1024);
});
afterEach(async () => spool.close());

/** A page as takeSnapshot keeps a later one: its body written to the spool. */
const spooled = async (rows: number, last = false): Promise<SnapshotPage> => {
  const read = page(rows, last);
  return { rows: read.rows, last: read.last, ...(await spool.write(read.body)) };
};
const fileOf = (kept: SnapshotPage | undefined) => (kept && 'file' in kept ? kept.file : '');
/** Waits until a page's file is deleted (the spool deletes asynchronously); false if it is still there after a while. */
const deleted = async (kept: SnapshotPage | undefined) => {
  for (let tries = 0; tries < 100 && existsSync(fileOf(kept)); tries++) await new Promise((resolve) => setTimeout(resolve, 10));
  return !existsSync(fileOf(kept));
};

test('a request for the page after the last read waits for it; pages past the last are undefined', async () => {
  const pages = new SnapshotPageStream();
  pages.push(page(2));
  const second = pages.page(1);
  let settled = false;
  void second.then(() => (settled = true));
  await Promise.resolve();
  expect(settled).toBe(false);
  pages.push(page(2));
  expect(await second).toEqual(page(2));
  const third = pages.page(2);
  pages.push(page(0, true));
  expect(await third).toEqual(page(0, true));
  expect(await pages.page(3)).toBeUndefined();
  expect(await pages.page(2)).toEqual(page(0, true)); // the page asked for last may be asked again
  expect(pages.length).toBe(3);
  expect(() => pages.push(page(1))).toThrow('ended');
});

test('a failed reading fails every page, read or not: the snapshot can no longer be completed', async () => {
  const pages = new SnapshotPageStream();
  pages.push(page(3));
  const waiting = pages.page(1);
  pages.fail('connection lost');
  await expect(waiting).rejects.toThrow('connection lost');
  await expect(pages.page(0)).rejects.toThrow('connection lost');
  pages.fail(new Error('again')); // a second failure changes nothing
  await expect(pages.page(1)).rejects.toThrow('connection lost');
  expect(() => pages.throwIfFailed()).toThrow('connection lost');
});

test('spooled pages are served from their files; pages older than the one before the newest asked for are deleted, and asking for one again fails', async () => {
  const pages = new SnapshotPageStream(spool);
  pages.push(page(1));
  for (let index = 1; index < 4; index++) pages.push(await spooled(index + 1));
  const third = await pages.page(2);
  expect(readFileSync(fileOf(third), 'utf8')).toBe(page(3).body);
  const second = await pages.page(1);
  expect(spool.usedBytes).toBe(page(2).body.length + page(3).body.length + page(4).body.length);

  expect(await pages.page(3)).toMatchObject({ rows: 4 });
  expect(await pages.page(2)).toMatchObject({ rows: 3 }); // a retry of the page before is still answered
  await expect(pages.page(1)).rejects.toBeInstanceOf(SnapshotGoneError);
  await expect(pages.page(0)).rejects.toBeInstanceOf(SnapshotGoneError);
  expect(await deleted(second)).toBe(true);
  expect(spool.usedBytes).toBe(page(3).body.length + page(4).body.length);
});

test('a failed or dropped snapshot deletes its files, and a page pushed after that is deleted too and stops the reader', async () => {
  const pages = new SnapshotPageStream(spool);
  pages.push(page(1));
  const kept = await spooled(5);
  pages.push(kept);
  pages.fail(new SnapshotGoneError('dropped'));
  expect(await deleted(kept)).toBe(true);
  const late = await spooled(5, true);
  expect(() => pages.push(late)).toThrow('dropped');
  expect(await deleted(late)).toBe(true);
  expect(spool.usedBytes).toBe(0);
});

test('a kept snapshot answers for its handle until it is dropped, which deletes its files, also when it was read to its end', async () => {
  const cache = new SnapshotPages(60_000);
  const pages = new SnapshotPageStream(spool);
  pages.push(page(1));
  pages.push(await spooled(2, true));
  cache.put(handle('h'), pages);
  expect(cache.handleOf('h')).toEqual(handle('h'));
  expect(spool.usedBytes).toBeGreaterThan(0);
  cache.forget('h');
  expect(cache.handleOf('h')).toBeUndefined();
  expect(spool.usedBytes).toBe(0);
  cache.close();
});

test('a snapshot whose page is still being sent is not dropped as expired, and is kept idleMs after the send ends', async () => {
  const kept = new SnapshotPages(300);
  const pages = new SnapshotPageStream();
  pages.push(page(1));
  kept.put(handle('h'), pages);
  let sent!: () => void;
  pages.sendingUntil(new Promise<void>((resolve) => (sent = resolve)));
  await new Promise((resolve) => setTimeout(resolve, 800)); // a slow download: asked for 800 ms ago (the sweeper ran meanwhile)
  expect(kept.streamOf('h')).toBe(pages);
  sent();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await expect(kept.get('h', 0)).resolves.toMatchObject({ rows: 1 }); // sent 50 ms ago
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await expect(kept.get('h', 0)).resolves.toBeUndefined();
  kept.close();
});

test('snapshots read to their end are kept while their clients download them, however many', async () => {
  const cache = new SnapshotPages(60_000);
  for (let index = 0; index < 150; index++) {
    const ended = new SnapshotPageStream();
    ended.push(page(1));
    ended.push(page(0, true));
    cache.put(handle(`h${index}`), ended);
  }
  expect(cache.size).toBe(150);
  expect(await cache.get('h0', 1)).toEqual(page(0, true));
  cache.close();
});

test('the first page is handed over once and let go: the stream then holds no page in memory', async () => {
  const pages = new SnapshotPageStream(spool);
  pages.push(page(2));
  const later = await spooled(3);
  pages.push(later);
  expect(await pages.takeFirst()).toEqual(page(2));
  await expect(pages.page(0)).rejects.toBeInstanceOf(SnapshotGoneError);
  expect(pages.spooledPages).toBe(1);
  expect(await pages.page(1)).toEqual(later);
});

test('a request waiting for a page that is not read yet keeps the snapshot from expiring', async () => {
  const cache = new SnapshotPages(30);
  const pages = new SnapshotPageStream();
  pages.push(page(1));
  cache.put(handle('h'), pages);
  const waiting = cache.get('h', 1);
  await new Promise((resolve) => setTimeout(resolve, 120));
  expect(cache.streamOf('h')).toBe(pages);
  pages.push(page(1, true));
  expect(await waiting).toEqual(page(1, true));
  cache.close();
});

test('its signal is aborted with the failure', () => {
  const pages = new SnapshotPageStream();
  expect(pages.signal.aborted).toBe(false);
  pages.fail(new SnapshotGoneError('dropped'));
  expect(pages.signal.aborted).toBe(true);
  expect(pages.signal.reason).toBeInstanceOf(SnapshotGoneError);
});

test('a page asked for before the one before it was read is refused (it would wait holding pages); past the end of a snapshot read whole there is none, even once its pages are let go', async () => {
  const pages = new SnapshotPageStream();
  pages.push(page(1));
  await expect(pages.page(2)).rejects.toBeInstanceOf(SnapshotGoneError);
  expect(await pages.takeFirst()).toEqual(page(1));
  pages.push(page(1));
  pages.push(page(0, true));
  expect(await pages.page(4)).toBeUndefined(); // every page let go by now
  expect(pages.ended).toBe(true);
  expect(await pages.page(5)).toBeUndefined();
});

test('a snapshot in use is kept for idleMs after its last request, however long its download takes', async () => {
  const cache = new SnapshotPages(800);
  const pages = new SnapshotPageStream();
  for (let index = 0; index < 4; index++) pages.push(page(1));
  cache.put(handle('h'), pages);
  for (let index = 1; index < 4; index++) {
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await cache.get('h', index)).toEqual(page(1));
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await cache.get('h', 3)).toBeUndefined();
  cache.close();
});

test('an abandoned snapshot is dropped by the timer, its files deleted and its reading stopped, with no request to notice it', async () => {
  const cache = new SnapshotPages(40);
  const pages = new SnapshotPageStream(spool);
  pages.push(page(1));
  const kept = await spooled(3);
  pages.push(kept);
  cache.put(handle('abandoned'), pages);
  await vi.waitFor(() => expect(cache.size).toBe(0), { timeout: 5_000 });
  expect(await deleted(kept)).toBe(true);
  expect(() => pages.throwIfFailed()).toThrow(SnapshotGoneError);
  cache.close();
});

test('closing the cache, or forgetting a snapshot, stops every snapshot still being read', async () => {
  const cache = new SnapshotPages();
  const forgotten = new SnapshotPageStream();
  forgotten.push(page(1));
  cache.put(handle('forgotten'), forgotten);
  cache.forget('forgotten');
  expect(() => forgotten.throwIfFailed()).toThrow(SnapshotGoneError);

  const pages = new SnapshotPageStream();
  pages.push(page(1));
  cache.put(handle('h'), pages);
  const waiting = pages.page(1);
  cache.close();
  await expect(waiting).rejects.toBeInstanceOf(SnapshotGoneError);
  expect(() => pages.throwIfFailed()).toThrow(SnapshotGoneError);
  expect(await cache.get('h', 1)).toBeUndefined();
});

test('a snapshot put after the cache closed (its first page was read during the close) stops at once', () => {
  const cache = new SnapshotPages();
  cache.close();
  const pages = new SnapshotPageStream();
  pages.push(page(1));
  cache.put(handle('late'), pages);
  expect(() => pages.throwIfFailed()).toThrow(SnapshotGoneError);
  expect(cache.size).toBe(0);
});

test('readers are bounded: past the limit there is no place until one leaves', () => {
  const readers = new SnapshotReaders(2);
  expect([readers.tryEnter(), readers.tryEnter(), readers.tryEnter()]).toEqual([true, true, false]);
  expect(readers.size).toBe(2);
  readers.leave();
  expect(readers.tryEnter()).toBe(true);
});
