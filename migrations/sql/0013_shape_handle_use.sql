-- When a client last used a handle (written at most every few minutes per handle), so compaction
-- retires only handles nobody has asked for within the retention window: a client that stays in
-- sync keeps its handle however old it is, instead of being made to refetch.
alter table sync.shape_handles add column used_at timestamptz not null default now();
create index shape_handles_used_idx on sync.shape_handles (used_at);
