-- sync.append_change_batch (0024) skipped what the log holds by its max(lsn). Compaction can leave
-- the log empty (every entry older than the retention window), and then a transaction redelivered
-- by the slot would be logged again, below compacted_before. The skip now reads the larger of the
-- log's max(lsn) and compacted_before, the position readers use too (shape-log.ts logPosition).
create or replace function sync.append_change_batch(entries jsonb, truncations jsonb) returns bigint
language plpgsql as $$
declare
  previous_max bigint;
  appended_max bigint;
  truncation record;
begin
  perform pg_advisory_xact_lock(hashtextextended('niaga.change_log.append', 0));
  select greatest(coalesce((select max(lsn) from sync.change_log), 0), (select compacted_before from sync.log_state)) into previous_max;

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
