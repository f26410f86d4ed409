-- The read path's global, commit-ordered change log (replaces the placeholder from 0008, which
-- never held rows). One row per changed row; all rows of one source transaction share `lsn`
-- (Postgres: the commit LSN; PGlite: a sequence drawn once per transaction) and are ordered by
-- op_index. Values are Postgres text output, as the shape protocol sends them.
drop table sync.change_log;

create table sync.change_log (
  lsn         bigint not null,
  op_index    integer not null,
  xid         bigint not null,   -- source transaction id (xid8), to skip what a snapshot already saw
  table_name  text not null,     -- schema.table
  operation   text not null check (operation in ('insert', 'update', 'delete')),
  old_row     jsonb,             -- text values; needed to judge move-outs
  new_row     jsonb,
  logged_at   timestamptz not null default now(),
  primary key (lsn, op_index)
);
create index change_log_table_idx on sync.change_log (table_name, lsn);
create index change_log_logged_at_idx on sync.change_log (logged_at);

create sequence sync.change_log_lsn;

-- One row: the log's identity and how far it has been compacted. A new epoch (log reset)
-- invalidates every handle; compacted_before is the smallest lsn a client may resume from.
create table sync.log_state (
  singleton         boolean primary key default true check (singleton),
  epoch             text not null default md5(random()::text || clock_timestamp()::text),
  compacted_before  bigint not null default 0,
  updated_at        timestamptz not null default now()
);
insert into sync.log_state default values;

-- A shape handle names one snapshot of one shape definition: where its live tail starts (lsn) and
-- which transactions the snapshot already saw (xmin/xmax/xip of pg_current_snapshot()).
create table sync.shape_handles (
  handle           text primary key,
  definition_hash  text not null,
  snapshot_lsn     bigint not null,
  snapshot_xmin    bigint not null,
  snapshot_xmax    bigint not null,
  snapshot_xip     bigint[] not null default '{}',
  created_at       timestamptz not null default now()
);
create index shape_handles_created_idx on sync.shape_handles (created_at);
