/**
 * LISTEN on one channel: on Postgres through a dedicated connection that reconnects after errors
 * (and reports a wake-up after each (re)connect, since notifications sent meanwhile are lost); on
 * PGlite through its in-process listen.
 */
import type { Executor } from '@niaga/db';
import type { PgExecutor } from '@niaga/db/pg';
import type { PgliteExecutor } from '@niaga/db/pglite';
import pg from 'pg';

export async function listenForNotifications(db: Executor, channel: string, onNotify: () => void): Promise<() => Promise<void>> {
  if (!/^[a-z_]+$/.test(channel)) throw new Error(`Refusing unsafe channel name ${channel}`);
  if (db.dialect === 'pglite') return (db as PgliteExecutor).db.listen(channel, () => onNotify());
  const { connectionString } = db as PgExecutor;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  const connect = async (): Promise<void> => {
    if (stopped) return;
    const next = new pg.Client({ connectionString, application_name: 'niaga-outbox-listener' });
    const reconnect = () => {
      if (client === next) client = undefined;
      void next.end().catch(() => {});
      if (!stopped && retry === undefined) {
        retry = setTimeout(() => {
          retry = undefined;
          connect().catch(() => {}); // it schedules its own retry
        }, 1000);
        retry.unref();
      }
    };
    next.on('notification', () => onNotify());
    next.on('error', reconnect);
    try {
      await next.connect();
      await next.query(`listen ${channel}`);
    } catch (error) {
      reconnect();
      throw error;
    }
    if (stopped) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    onNotify();
  };
  try {
    await connect();
  } catch (error) {
    stopped = true;
    clearTimeout(retry);
    throw error;
  }
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}
