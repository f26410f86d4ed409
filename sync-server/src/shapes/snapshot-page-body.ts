/**
 * A snapshot page's response body: `[`, its messages, the snapshot's ending on the last page, `]`.
 * A spooled page is streamed from its file, opened before anything can delete it (an open file
 * outlives its deletion) and closed however the response ends.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { inMemory, type PageRead, type SnapshotPage } from './snapshot-pages.ts';

/** A page ready to send: in memory, or its spooled file open. */
export type OpenedPage = PageRead | { readonly rows: number; readonly last: boolean; readonly bytes: number; readonly file: FileHandle };

/** Opens a spooled page's file; undefined if it is gone already (the snapshot was dropped meanwhile). */
export async function openPage(page: SnapshotPage): Promise<OpenedPage | undefined> {
  if (inMemory(page)) return page;
  try {
    return { rows: page.rows, last: page.last, bytes: page.bytes, file: await open(page.file, 'r') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The body with `ending` (comma-joined messages, or '') after the page's messages. A spooled page's
 * is a stream, with its length in bytes; its file is closed when the stream closes, however it
 * ends: sent, failed, or destroyed before it was ever read (a client gone before the send began).
 */
export function pageBody(page: OpenedPage, ending: string): { body: string } | { body: Readable; bytes: number } {
  if ('body' in page) return { body: `[${[...(page.body ? [page.body] : []), ...(ending ? [ending] : [])].join(',')}]` };
  const { file } = page;
  const tail = `${page.bytes > 0 && ending ? ',' : ''}${ending}]`;
  async function* parts(): AsyncGenerator<Buffer | string> {
    yield '[';
    for await (const chunk of file.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 })) yield chunk as Buffer;
    yield tail;
  }
  const body = Readable.from(parts());
  body.once('close', () => void file.close().catch(() => {}));
  return { body, bytes: 1 + page.bytes + Buffer.byteLength(tail) };
}
