import type { Executor } from '@niaga/db';

/** What every domain plugin is registered with. */
export interface DomainPluginOptions {
  db: Executor;
}
