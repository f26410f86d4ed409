create schema sync;

-- Replicache-style client groups and clients: last_mutation_id advances in the same transaction
-- as a mutation's effects (exactly once). A client's row syncs to its owner.
create table sync.client_groups (
  id          text primary key,
  user_id     uuid not null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

create table sync.clients (
  id                 text primary key,
  client_group_id    text not null references sync.client_groups (id) on delete cascade,
  user_id            uuid not null,
  last_mutation_id   bigint not null default 0 check (last_mutation_id >= 0),
  clock_offset_ms    integer not null default 0,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now()
);
create index clients_user_idx on sync.clients (user_id);

create table sync.mutation_results (
  id           uuid primary key default gen_random_uuid(),
  client_id    text not null,
  mutation_id  bigint not null,
  user_id      uuid not null,
  name         text not null,
  status       text not null check (status in ('applied', 'rejected', 'backordered', 'adjusted')),
  code         text,
  message      text not null default '',
  details      jsonb,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint mutation_results_unique unique (client_id, mutation_id)
);
create index mutation_results_user_idx on sync.mutation_results (user_id);

-- The global, commit-ordered change log; position is the shape protocol's LSN.
create table sync.change_log (
  position    bigint primary key,
  txid        bigint not null,
  table_name  text not null,
  operation   text not null check (operation in ('insert', 'update', 'delete')),
  pk          jsonb not null,
  old_row     jsonb,
  new_row     jsonb,
  logged_at   timestamptz not null default now()
);
create index change_log_txid_idx on sync.change_log (txid);

create schema events;

create table events.outbox (
  id           uuid primary key default gen_random_uuid(),
  type         text not null,   -- e.g. order.created; published on subject niaga.<type>
  payload      jsonb not null,
  client_id    text,
  mutation_id  bigint,
  created_at   timestamptz not null default now(),
  sent_at      timestamptz,
  attempts     integer not null default 0,
  last_error   text
);
create index outbox_unsent_idx on events.outbox (created_at) where sent_at is null;

create table events.inbox (
  consumer      text not null,
  event_id      uuid not null,
  processed_at  timestamptz not null default now(),
  primary key (consumer, event_id)
);
