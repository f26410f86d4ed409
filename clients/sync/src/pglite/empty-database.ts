import { PGlite } from '@electric-sql/pglite';

let dump: Promise<Blob> | undefined;

/**
 * A dump of an empty PGlite database, made once per process or page, for `openPgliteStore({
 * template })`: a new store loads it instead of running initdb (seconds of WebAssembly each).
 */
export function emptyDatabase(): Promise<Blob> {
  return (dump ??= (async () => {
    const db = await PGlite.create();
    const blob = await db.dumpDataDir('none');
    await db.close();
    return blob;
  })());
}
