create schema inventory;

create table inventory.warehouses (
  id          uuid primary key default gen_random_uuid(),
  code        text not null check (code ~ '^[A-Z0-9-]{2,16}$'),
  name        text not null check (length(name) between 1 and 200),
  address     text not null default '',
  timezone    text not null default 'UTC',
  active      boolean not null default true,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint warehouses_code_unique unique (code)
);
create trigger warehouses_touch before update on inventory.warehouses for each row execute function public.niaga_touch_updated_at();

create table inventory.bins (
  id            uuid primary key default gen_random_uuid(),
  warehouse_id  uuid not null references inventory.warehouses (id) on delete cascade,
  code          text not null,
  zone          text not null default '',
  sort_order    integer not null default 0, -- the walking order pick lists follow
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint bins_code_unique unique (warehouse_id, code)
);
create trigger bins_touch before update on inventory.bins for each row execute function public.niaga_touch_updated_at();

-- One row per warehouse × product. available = on_hand - reserved, kept by a trigger (not a
-- generated column: logical replication in Postgres 15 does not publish generated columns).
create table inventory.stock_items (
  id               uuid primary key default gen_random_uuid(),
  warehouse_id     uuid not null references inventory.warehouses (id) on delete cascade,
  product_id       uuid not null,
  bin_id           uuid references inventory.bins (id) on delete set null,
  on_hand          integer not null default 0,
  reserved         integer not null default 0 check (reserved >= 0),
  available        integer not null default 0,
  reorder_point    integer not null default 0 check (reorder_point >= 0),
  version          integer not null default 1,
  last_counted_at  timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint stock_items_unique unique (warehouse_id, product_id)
);
create index stock_items_product_idx on inventory.stock_items (product_id);

create function inventory.stock_items_derive() returns trigger
language plpgsql as $$
begin
  new.available := new.on_hand - new.reserved;
  if tg_op = 'UPDATE' then
    new.updated_at := now();
    if (new.on_hand, new.reserved) is distinct from (old.on_hand, old.reserved) then
      new.version := old.version + 1;
    end if;
  end if;
  return new;
end $$;
create trigger stock_items_derive before insert or update on inventory.stock_items
  for each row execute function inventory.stock_items_derive();

-- The ledger. quantity is the signed change to on_hand; a movement that occurred before the latest
-- count but arrived after it is recorded with affects_on_hand = false (the count already saw it).
create table inventory.movements (
  id               uuid primary key default gen_random_uuid(),
  warehouse_id     uuid not null references inventory.warehouses (id) on delete cascade,
  product_id       uuid not null,
  bin_id           uuid,
  kind             text not null check (kind in ('receipt', 'pick', 'adjustment', 'count', 'transfer_out', 'transfer_in')),
  quantity         integer not null,
  affects_on_hand  boolean not null default true,
  reason           text not null default '',
  reference_type   text,
  reference_id     uuid,
  occurred_at      timestamptz not null,
  recorded_at      timestamptz not null default now(),
  user_id          uuid,
  client_id        text,   -- the device (Replicache client id) whose mutation caused it
  mutation_id      bigint,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now()
);
create index movements_stock_idx on inventory.movements (warehouse_id, product_id, occurred_at);
create index movements_reference_idx on inventory.movements (reference_type, reference_id);

create table inventory.transfers (
  id                 uuid primary key default gen_random_uuid(),
  from_warehouse_id  uuid not null references inventory.warehouses (id),
  to_warehouse_id    uuid not null references inventory.warehouses (id),
  status             text not null default 'draft'
                       check (status in ('draft', 'shipped', 'received', 'discrepancy', 'cancelled')),
  note               text not null default '',
  created_by         uuid,
  shipped_at         timestamptz,
  received_at        timestamptz,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  constraint transfers_distinct_warehouses check (from_warehouse_id <> to_warehouse_id)
);
create index transfers_from_idx on inventory.transfers (from_warehouse_id);
create index transfers_to_idx on inventory.transfers (to_warehouse_id);
create trigger transfers_touch before update on inventory.transfers for each row execute function public.niaga_touch_updated_at();

-- Lines carry both warehouse ids so a picker's shape can filter them without a join.
create table inventory.transfer_lines (
  id                 uuid primary key default gen_random_uuid(),
  transfer_id        uuid not null references inventory.transfers (id) on delete cascade,
  from_warehouse_id  uuid not null,
  to_warehouse_id    uuid not null,
  product_id         uuid not null,
  quantity           integer not null check (quantity > 0),
  shipped_qty        integer not null default 0 check (shipped_qty >= 0),
  received_qty       integer not null default 0 check (received_qty >= 0),
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  constraint transfer_lines_product_unique unique (transfer_id, product_id)
);
create trigger transfer_lines_touch before update on inventory.transfer_lines for each row execute function public.niaga_touch_updated_at();

create table inventory.count_sessions (
  id            uuid primary key default gen_random_uuid(),
  warehouse_id  uuid not null references inventory.warehouses (id) on delete cascade,
  status        text not null default 'open' check (status in ('open', 'submitted', 'closed', 'voided')),
  note          text not null default '',
  started_by    uuid,
  started_at    timestamptz not null default now(),
  submitted_at  timestamptz,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
create index count_sessions_warehouse_idx on inventory.count_sessions (warehouse_id);
create trigger count_sessions_touch before update on inventory.count_sessions for each row execute function public.niaga_touch_updated_at();

create table inventory.count_lines (
  id             uuid primary key default gen_random_uuid(),
  session_id     uuid references inventory.count_sessions (id) on delete cascade,
  warehouse_id   uuid not null,
  bin_id         uuid,
  product_id     uuid not null,
  counted_qty    integer not null check (counted_qty >= 0),
  expected_qty   integer,  -- what the ledger said at occurred_at; set by the server
  variance       integer,
  status         text not null default 'pending'
                   check (status in ('pending', 'applied', 'awaiting_approval', 'approved', 'voided')),
  occurred_at    timestamptz not null,
  counted_by     uuid,
  client_id      text,
  mutation_id    bigint,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);
create index count_lines_stock_idx on inventory.count_lines (warehouse_id, product_id, occurred_at);
create trigger count_lines_touch before update on inventory.count_lines for each row execute function public.niaga_touch_updated_at();
