import { expect, test } from 'vitest';
import { PacedReaders, SnapshotGoneError, SnapshotPageStream, SnapshotPages, type SnapshotPage } from './snapshot-pages.ts';

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
});

const settledYet = async (promise: Promise<unknown>) => {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, 10));
  return settled;
};

test('the reader waits once it is readAhead pages past the newest page asked for, and goes on when the next is asked for', async () => {
  const pages = new SnapshotPageStream({ readAhead: 2, idleMs: 60_000 });
  for (let index = 0; index < 3; index++) {
    await pages.roomForNext(); // pages 0, 1 and 2 may be read with only page 0 asked for
    pages.push(page(1));
  }
  const room = pages.roomForNext();
  expect(await settledYet(room)).toBe(false);
  await pages.page(1);
  expect(await settledYet(room)).toBe(true);
  pages.push(page(0, true));
});

test('pages older than the one before the newest asked for are let go: asking for one again fails, and the client starts over', async () => {
  const pages = new SnapshotPageStream({ readAhead: 10, idleMs: 60_000 });
  for (let index = 0; index < 4; index++) pages.push(page(index + 1));
  expect(await pages.page(3)).toEqual(page(4));
  expect(await pages.page(2)).toEqual(page(3)); // a retry of the page before is still answered
  await expect(pages.page(1)).rejects.toBeInstanceOf(SnapshotGoneError);
  await expect(pages.page(0)).rejects.toBeInstanceOf(SnapshotGoneError);
});

test('a reader nobody asks anything of for idleMs gives the snapshot up: it and every waiting page fail with SnapshotGoneError', async () => {
  const pages = new SnapshotPageStream({ readAhead: 1, idleMs: 50 });
  pages.push(page(1));
  pages.push(page(1));
  await expect(pages.roomForNext()).rejects.toBeInstanceOf(SnapshotGoneError);
  expect(pages.ended).toBe(true);
  await expect(pages.page(2)).rejects.toBeInstanceOf(SnapshotGoneError);
});

test('a page still being sent is not idleness: the reader waits past idleMs until the send ends, then idleMs more', async () => {
  const pages = new SnapshotPageStream({ readAhead: 0, idleMs: 50 });
  pages.push(page(1));
  let sent!: () => void;
  pages.sendingUntil(new Promise<void>((resolve) => (sent = resolve)));
  const room = pages.roomForNext();
  room.catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 150)); // a slow download: three idle periods
  expect(pages.ended).toBe(false);
  sent();
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(pages.ended).toBe(false); // the idle wait starts afresh at the send's end
  await expect(room).rejects.toBeInstanceOf(SnapshotGoneError);
});

test('a send that never ends (a client that stopped reading) holds the reader off for 10 idle periods at most', async () => {
  const pages = new SnapshotPageStream({ readAhead: 0, idleMs: 20 });
  pages.push(page(1));
  pages.sendingUntil(new Promise<void>(() => {}));
  const started = Date.now();
  await expect(pages.roomForNext()).rejects.toBeInstanceOf(SnapshotGoneError);
  expect(Date.now() - started).toBeGreaterThanOrEqual(200);
});

test('a snapshot whose page is still being sent is not dropped as expired, and is kept idleMs after the send ends', async () => {
  const kept = new SnapshotPages(30);
  const pages = new SnapshotPageStream({ readAhead: 0, idleMs: 60_000 });
  pages.push(page(1));
  kept.put('h', pages);
  let sent!: () => void;
  pages.sendingUntil(new Promise<void>((resolve) => (sent = resolve)));
  await new Promise((resolve) => setTimeout(resolve, 80)); // a slow download: asked for 80 ms ago
  kept.put('other', new SnapshotPageStream()); // another snapshot's put evicts what has expired
  expect(kept.streamOf('h')).toBe(pages);
  sent();
  await new Promise((resolve) => setTimeout(resolve, 10));
  await expect(kept.get('h', 0)).resolves.toMatchObject({ rows: 1 }); // sent 10 ms ago
  await new Promise((resolve) => setTimeout(resolve, 80));
  await expect(kept.get('h', 0)).resolves.toBeUndefined();
});

test('a failure while the reader waits ends its wait with that failure', async () => {
  const pages = new SnapshotPageStream({ readAhead: 1, idleMs: 60_000 });
  pages.push(page(1));
  pages.push(page(1));
  const room = pages.roomForNext();
  pages.fail(new Error('server closing'));
  await expect(room).rejects.toThrow('server closing');
});

test('beyond its limit the cache drops the oldest snapshot that has ended, never one still being read', async () => {
  const cache = new SnapshotPages(60_000, 2);
  const reading = new SnapshotPageStream();
  reading.push(page(1));
  const ended = new SnapshotPageStream();
  ended.push(page(1));
  ended.push(page(0, true));
  cache.put('reading', reading);
  cache.put('ended', ended);
  cache.put('new', new SnapshotPageStream());
  expect(cache.size).toBe(2);
  expect(await cache.get('reading', 0)).toEqual(page(1));
  expect(await cache.get('ended', 1)).toBeUndefined(); // dropped: the client gets a 409
  cache.put('newer', new SnapshotPageStream()); // nothing has ended: kept all the same
  expect(cache.size).toBe(3);
});

test('a snapshot in use is kept for idleMs after its last request, however long its download takes', async () => {
  const cache = new SnapshotPages(80, 10);
  const pages = new SnapshotPageStream();
  for (let index = 0; index < 4; index++) pages.push(page(1));
  cache.put('h', pages);
  for (let index = 1; index < 4; index++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await cache.get('h', index)).toEqual(page(1));
  }
  await new Promise((resolve) => setTimeout(resolve, 120));
  expect(await cache.get('h', 3)).toBeUndefined();
});

test('closing the cache stops every snapshot still being read', async () => {
  const cache = new SnapshotPages();
  const pages = new SnapshotPageStream({ readAhead: 0, idleMs: 60_000 });
  pages.push(page(1));
  cache.put('h', pages);
  const room = pages.roomForNext();
  cache.close();
  await expect(room).rejects.toBeInstanceOf(SnapshotGoneError);
  expect(await cache.get('h', 1)).toBeUndefined();
});

test('a snapshot the cache drops (forgotten, or idle past its time) stops being read', async () => {
  const cache = new SnapshotPages(40, 10);
  const forgotten = new SnapshotPageStream({ readAhead: 0, idleMs: 60_000 });
  forgotten.push(page(1));
  cache.put('forgotten', forgotten);
  const forgottenRoom = forgotten.roomForNext();
  cache.forget('forgotten');
  await expect(forgottenRoom).rejects.toBeInstanceOf(SnapshotGoneError);

  const idle = new SnapshotPageStream({ readAhead: 0, idleMs: 60_000 });
  idle.push(page(1));
  cache.put('idle', idle);
  const idleRoom = idle.roomForNext();
  await new Promise((resolve) => setTimeout(resolve, 80));
  expect(await cache.get('idle', 1)).toBeUndefined();
  await expect(idleRoom).rejects.toBeInstanceOf(SnapshotGoneError);
  expect(idle.ended).toBe(true);
});

test('paced readers are bounded: past the limit there is no place until one leaves', () => {
  const readers = new PacedReaders(2);
  expect([readers.tryEnter(), readers.tryEnter(), readers.tryEnter()]).toEqual([true, true, false]);
  expect(readers.size).toBe(2);
  readers.leave();
  expect(readers.tryEnter()).toBe(true);
  expect(new PacedReaders(0).tryEnter()).toBe(false);
});

test('a snapshot put after the cache closed (its first page was read during the close) stops at once', async () => {
  const cache = new SnapshotPages();
  cache.close();
  const pages = new SnapshotPageStream({ readAhead: 0, idleMs: 60_000 });
  pages.push(page(1));
  const room = pages.roomForNext();
  cache.put('late', pages);
  await expect(room).rejects.toBeInstanceOf(SnapshotGoneError);
  expect(cache.size).toBe(0);
});
