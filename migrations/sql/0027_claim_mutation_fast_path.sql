-- sync.claim_mutation (0026) with a fast path for a known client: one locking read of the client
-- row joined to its group, instead of two inserts that find their rows there and two reads. It was
-- the costliest statement of bench/push-throughput.ts (0.37 ms a call). A client not found in this
-- group (new, or of another group) takes the first-use path of 0026, unchanged.
create or replace function sync.claim_mutation(group_id text, client_id text, owner uuid, mutation_id bigint, measured_offset_ms integer)
returns table (status text, last_id bigint, offset_ms integer)
language plpgsql as $$
declare
  group_owner uuid;
  found_group text;
  found_last bigint;
  found_offset integer;
begin
  select g.user_id, c.last_mutation_id, c.clock_offset_ms into group_owner, found_last, found_offset
    from sync.clients c join sync.client_groups g on g.id = c.client_group_id
   where c.id = client_id and c.client_group_id = group_id
     for update of c;
  if not found then
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
  elsif group_owner <> owner then
    return query select 'group_forbidden'::text, null::bigint, null::integer;
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
