/**
 * Vite plugin: ships a dump of an empty PGlite database with the app (`pglite-empty.tar.gz`), made
 * at build time in Node. A new device loads it instead of running initdb in WebAssembly, which
 * takes seconds (tens of seconds on a slow phone) before the login screen could appear.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Plugin } from 'vite';

export const EMPTY_DATABASE_FILE = 'pglite-empty.tar.gz';

export function emptyDatabasePlugin(): Plugin {
  return {
    name: 'niaga-empty-pglite-database',
    apply: 'build',
    async generateBundle() {
      const db = await PGlite.create();
      const dump = await db.dumpDataDir('gzip');
      await db.close();
      this.emitFile({ type: 'asset', fileName: EMPTY_DATABASE_FILE, source: new Uint8Array(await dump.arrayBuffer()) });
    },
  };
}
