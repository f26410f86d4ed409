-- A TRUNCATE is no row change, so the log held nothing at its position. A snapshot taken after it
-- stood at the log's older maximum, below the truncate, and was retired (409) at once: clients of
-- the table refetched in a hot loop until another change happened to be logged. And an instance
-- whose LISTEN connection was down when the truncate's notification went out never heard of it
-- and went on serving the retired handle (its clients kept the truncated rows for good).
-- Each synced table's newest truncate now has a row here, written with the handles' retirement:
-- the log's position counts it (shape-log.ts logPosition), and each change feed reads the table
-- whenever it (re)connects. A truncate redelivered by the slot is no longer reported again either
-- (its retirement would retire the handles of clients that had already refetched).
create table sync.table_truncations (
  table_name  text primary key,
  lsn         bigint not null
);

create or replace function sync.append_change_batch(entries jsonb, truncations jsonb) returns bigint
language plpgsql as $$
declare
  previous_max bigint;
  appended_max bigint;
  truncation record;
  fresh text[];
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
    select coalesce(array_agg(u.name), '{}') into fresh
      from unnest(truncation.tables) as u(name)
     where not exists (select 1 from sync.table_truncations r where r.table_name = u.name and r.lsn >= truncation.lsn);
    continue when cardinality(fresh) = 0;
    insert into sync.table_truncations (table_name, lsn)
    select u.name, truncation.lsn from unnest(fresh) as u(name)
        on conflict (table_name) do update set lsn = excluded.lsn;
    delete from sync.shape_handles where table_name = any(fresh);
    perform pg_notify('niaga_change_log_truncate', json_build_object('lsn', truncation.lsn::text, 'tables', fresh)::text);
  end loop;
  return previous_max;
end
$$;
