-- The capture leader's append (sync-server/src/capture/log-appender.ts) in one round trip: called
-- on its own, the function is one transaction. Appenders are serialised by the advisory lock (a
-- deposed leader finishing an append cannot interleave with the new one); transactions at or
-- below the log's maximum lsn are skipped (the slot redelivers what was appended but not yet
-- acknowledged); listeners are notified at commit of the new maximum, and of truncations, whose
-- shapes' handles are retired in the same transaction (clients must refetch).
create function sync.append_change_batch(entries jsonb, truncations jsonb) returns bigint
language plpgsql as $$
declare
  previous_max bigint;
  appended_max bigint;
  truncation record;
begin
  perform pg_advisory_xact_lock(hashtextextended('niaga.change_log.append', 0));
  select coalesce(max(lsn), 0) into previous_max from sync.change_log;

  with inserted as (
    insert into sync.change_log (lsn, op_index, xid, table_name, operation, old_row, new_row)
    select lsn, op_index, xid, table_name, operation, old_row, new_row
      from jsonb_to_recordset(entries)
        as e(lsn bigint, op_index integer, xid bigint, table_name text, operation text, old_row jsonb, new_row jsonb)
     where e.lsn > previous_max
    returning lsn
  )
  select max(lsn) into appended_max from inserted;
  if appended_max is not null then
    perform pg_notify('niaga_change_log', appended_max::text);
  end if;

  for truncation in
    select t.lsn, t.tables from jsonb_to_recordset(truncations) as t(lsn bigint, tables text[]) where t.lsn > previous_max order by t.lsn
  loop
    delete from sync.shape_handles where table_name = any(truncation.tables);
    perform pg_notify('niaga_change_log_truncate', json_build_object('lsn', truncation.lsn::text, 'tables', truncation.tables)::text);
  end loop;
  return previous_max;
end
$$;
