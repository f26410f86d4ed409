import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { openPage, pageBody, type OpenedPage } from './snapshot-page-body.ts';
import type { SnapshotPage } from './snapshot-pages.ts';
import { SnapshotSpool } from './snapshot-spool.ts';

let spool: SnapshotSpool;
beforeEach(async () => {
  spool = await SnapshotSpool.create(mkdtempSync(join(tmpdir(), 'niaga-body-test-')), 1024 * 1024);
});
afterEach(async () => spool.close());

const spooled = async (body: string, last = false) => ({ rows: 1, last, ...(await spool.write(body)) }) satisfies SnapshotPage;
const text = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
};
const fdOf = (opened: OpenedPage) => ('file' in opened ? opened.file.fd : undefined);

test('a page in memory and the same page spooled give the same body, multibyte text and the ending included, and the spooled one its exact length', async () => {
  const messages = '{"value":{"name":"Kopi ☕ é"}},{"value":{"name":"x"}}';
  const ending = '{"headers":{"control":"up-to-date"}}';
  for (const [rows, last, end] of [
    [2, false, ''],
    [2, true, ending],
  ] as const) {
    const inMemory = pageBody({ body: messages, rows, last }, end);
    const opened = (await openPage(await spooled(messages, last)))!;
    const fromFile = pageBody(opened, end);
    if (!('bytes' in fromFile)) throw new Error('a spooled page is streamed');
    const sent = await text(fromFile.body);
    expect(sent.toString()).toBe(inMemory.body);
    expect(sent.length).toBe(fromFile.bytes);
    JSON.parse(sent.toString());
  }
});

test('an empty last page gives just the ending', async () => {
  const opened = (await openPage(await spooled('', true)))!;
  const body = pageBody(opened, '{"a":1}');
  if (!('bytes' in body)) throw new Error('a spooled page is streamed');
  expect((await text(body.body)).toString()).toBe('[{"a":1}]');
  expect(pageBody({ body: '', rows: 0, last: true }, '{"a":1}').body).toBe('[{"a":1}]');
});

test('the file is closed when the stream ends, and when it is destroyed before it was ever read (a client gone first)', async () => {
  const read = (await openPage(await spooled('{"n":1}')))!;
  const readBody = pageBody(read, '');
  await text(readBody.body as Readable);
  await vi.waitFor(() => expect(fdOf(read)).toBe(-1));

  const unread = (await openPage(await spooled('{"n":2}')))!;
  expect(fdOf(unread)).toBeGreaterThan(0);
  const unreadBody = pageBody(unread, '').body as Readable;
  unreadBody.destroy();
  await once(unreadBody, 'close');
  await vi.waitFor(() => expect(fdOf(unread)).toBe(-1));
});

test('a page whose file was deleted before it could be opened is gone (undefined), not an error', async () => {
  const page = await spooled('{"n":3}');
  spool.release(page);
  await vi.waitFor(async () => {
    const opened = await openPage(page); // opened if it won against the delete: closed again
    if (opened && 'file' in opened) await opened.file.close();
    expect(opened).toBeUndefined();
  });
});
