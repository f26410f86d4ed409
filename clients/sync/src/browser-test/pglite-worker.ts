/**
 * The multi-tab worker of pglite-tabs.page.ts: PGlite's `worker()` runs the database in the
 * leader tab's worker; every tab's PGliteWorker talks to it.
 */
import { PGlite } from '@electric-sql/pglite';
import { worker } from '@electric-sql/pglite/worker';

void worker({
  init: async (options) => new PGlite(options.dataDir ? { dataDir: options.dataDir } : {}),
});
