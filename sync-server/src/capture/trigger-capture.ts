/**
 * Embedded change capture: triggers append every change of a synced table to sync.change_log in
 * the same transaction. PGlite has one connection, so transactions never interleave and a
 * sequence drawn once per transaction is already in commit order.
 */
import type { Executor } from '@niaga/db';

const captureFunction = `
create extension if not exists hstore;

create or replace function sync.capture_change() returns trigger
language plpgsql as $$
declare
  xid bigint := txid_current();
  lsn bigint;
  op integer;
begin
  if current_setting('niaga.capture_xid', true) is distinct from xid::text then
    lsn := nextval('sync.change_log_lsn');
    op := 0;
    perform set_config('niaga.capture_xid', xid::text, true);
    perform set_config('niaga.capture_lsn', lsn::text, true);
    perform pg_notify('niaga_change_log', lsn::text);
  else
    lsn := current_setting('niaga.capture_lsn')::bigint;
    op := current_setting('niaga.capture_op')::integer + 1;
  end if;
  perform set_config('niaga.capture_op', op::text, true);
  insert into sync.change_log (lsn, op_index, xid, table_name, operation, old_row, new_row)
  values (
    lsn, op, xid, tg_table_schema || '.' || tg_table_name, lower(tg_op),
    case when tg_op <> 'INSERT' then hstore_to_jsonb(hstore(old)) end,
    case when tg_op <> 'DELETE' then hstore_to_jsonb(hstore(new)) end
  );
  return null;
end $$;

-- A truncate is no row change: retire the table's shape handles (clients get a 409 and refetch)
-- and tell the instances serving them from memory. Its position goes in sync.table_truncations
-- (migration 0030), which the log's position counts: a snapshot taken after it stands at or past it.
create or replace function sync.capture_truncate() returns trigger
language plpgsql as $$
declare
  truncated text := tg_table_schema || '.' || tg_table_name;
  lsn bigint := nextval('sync.change_log_lsn');
begin
  insert into sync.table_truncations (table_name, lsn) values (truncated, lsn)
      on conflict (table_name) do update set lsn = excluded.lsn;
  delete from sync.shape_handles where table_name = truncated;
  perform pg_notify('niaga_change_log_truncate', json_build_object('lsn', lsn::text, 'tables', json_build_array(truncated))::text);
  return null;
end $$;
`;

function triggerSql(table: string): string {
  const [schema, name] = table.split('.') as [string, string];
  if (!/^[a-z_]+$/.test(schema) || !/^[a-z_]+$/.test(name)) throw new Error(`Refusing unsafe table name ${table}`);
  return `
    drop trigger if exists niaga_capture on "${schema}"."${name}";
    create trigger niaga_capture after insert or update or delete on "${schema}"."${name}"
      for each row execute function sync.capture_change();
    drop trigger if exists niaga_capture_truncate on "${schema}"."${name}";
    create trigger niaga_capture_truncate after truncate on "${schema}"."${name}"
      for each statement execute function sync.capture_truncate();`;
}

/** Idempotent: (re)installs the capture function and one trigger per synced table. */
export async function installTriggerCapture(db: Executor, tables: readonly string[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.exec(captureFunction);
    await tx.exec(tables.map(triggerSql).join('\n'));
  });
}
