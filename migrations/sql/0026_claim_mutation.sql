-- The push's claim of one mutation in one round trip (sync-server/src/push/apply-push.ts), called
-- first in the mutation's transaction: the client group and the client are created on first use,
-- a group of another user (or a client of another group) is refused, the client's row is locked
-- for the transaction, and when the mutation is the next one expected its id is advanced (with
-- the clock offset measured on this push, or the last one when none was) before the mutation
-- runs. Advancing first is still exactly once: the advance commits only with the mutation's
-- effects; a failure rolls both back (a refused mutation's outcome is then recorded by a second
-- transaction that claims the id again).
--
-- status: 'apply' (advanced: run it), 'skip' (applied already: a resend), 'gap' (an id skipped
-- ahead: stop), 'group_forbidden', 'client_forbidden'. last_id is the last applied id before this
-- call; offset_ms the clock offset to correct the mutation's times with.
create function sync.claim_mutation(group_id text, client_id text, owner uuid, mutation_id bigint, measured_offset_ms integer)
returns table (status text, last_id bigint, offset_ms integer)
language plpgsql as $$
declare
  group_owner uuid;
  found_group text;
  found_last bigint;
  found_offset integer;
begin
  insert into sync.client_groups (id, user_id) values (group_id, owner) on conflict (id) do nothing;
  select g.user_id into group_owner from sync.client_groups g where g.id = group_id;
  if group_owner <> owner then
    return query select 'group_forbidden'::text, null::bigint, null::integer;
    return;
  end if;

  insert into sync.clients (id, client_group_id, user_id) values (client_id, group_id, owner) on conflict (id) do nothing;
  select c.client_group_id, c.last_mutation_id, c.clock_offset_ms into found_group, found_last, found_offset
    from sync.clients c where c.id = client_id for update;
  if found_group <> group_id then
    return query select 'client_forbidden'::text, null::bigint, null::integer;
    return;
  end if;
  if mutation_id <> found_last + 1 then
    return query select (case when mutation_id > found_last + 1 then 'gap' else 'skip' end)::text, found_last, found_offset;
    return;
  end if;

  update sync.clients c
     set last_mutation_id = mutation_id, clock_offset_ms = coalesce(measured_offset_ms, c.clock_offset_ms), updated_at = now()
   where c.id = client_id;
  return query select 'apply'::text, found_last, coalesce(measured_offset_ms, found_offset);
end
$$;
