-- sync.append_change_batch (0024) that first checks that every transaction of the batch is visible
-- to new snapshots, in the same round trip. Under load a commit is decoded from the WAL a moment
-- before its backend completes it; a shape snapshot taken then would miss a transaction whose lsn
-- is already in the log. Capture used to ask for pg_current_snapshot() in a round trip of its own
-- before each append. While any of `xids` is not yet visible, nothing is appended and
-- previous_max is null: the caller tries again a moment later. xmax is the snapshot's, which
-- capture keeps as its reference for widening pgoutput's 32-bit xids.
create function sync.append_visible_change_batch(entries jsonb, truncations jsonb, xids xid8[], out previous_max bigint, out xmax xid8)
language plpgsql as $$
declare
  current pg_snapshot := pg_current_snapshot();
begin
  xmax := pg_snapshot_xmax(current);
  if exists (select 1 from unnest(xids) as x where not pg_visible_in_snapshot(x, current)) then
    previous_max := null;
    return;
  end if;
  previous_max := sync.append_change_batch(entries, truncations);
end
$$;
