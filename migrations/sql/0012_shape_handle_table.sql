-- Which table a handle's snapshot is of, so a TRUNCATE of that table can retire its handles:
-- a truncate is not a row change the log can express, so those clients must refetch (409).
alter table sync.shape_handles add column table_name text not null default '';
create index shape_handles_table_idx on sync.shape_handles (table_name);
