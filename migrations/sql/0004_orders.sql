create schema orders;

create table orders.carts (
  id           uuid primary key default gen_random_uuid(),
  customer_id  uuid not null,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint carts_customer_unique unique (customer_id)
);
create trigger carts_touch before update on orders.carts for each row execute function public.niaga_touch_updated_at();

create table orders.cart_items (
  id           uuid primary key default gen_random_uuid(),
  cart_id      uuid not null references orders.carts (id) on delete cascade,
  customer_id  uuid not null,
  product_id   uuid not null,
  variant_id   uuid,
  qty          integer not null check (qty > 0),
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint cart_items_line_unique unique nulls not distinct (cart_id, product_id, variant_id)
);
create trigger cart_items_touch before update on orders.cart_items for each row execute function public.niaga_touch_updated_at();

create sequence orders.order_number_seq;

create table orders.orders (
  id              uuid primary key default gen_random_uuid(),
  number          text not null default ('SO-' || lpad(nextval('orders.order_number_seq')::text, 6, '0')),
  status          text not null default 'placed'
                    check (status in ('draft', 'placed', 'adjusted', 'confirmed', 'backordered', 'picking',
                                      'shipped', 'delivered', 'cancelled', 'rejected')),
  source          text not null default 'admin' check (source in ('agent', 'storefront', 'admin')),
  customer_id     uuid not null,
  agent_id        uuid,
  territory_id    uuid,
  warehouse_id    uuid,  -- fulfilment warehouse
  currency        char(3) not null check (currency ~ '^[A-Z]{3}$'),
  subtotal_minor  bigint not null default 0 check (subtotal_minor >= 0),
  tax_minor       bigint not null default 0 check (tax_minor >= 0),
  total_minor     bigint not null default 0 check (total_minor >= 0),
  note            text not null default '',
  status_reason   text not null default '',
  occurred_at     timestamptz not null default now(),  -- when the device placed it
  placed_at       timestamptz not null default now(),  -- when the server accepted it
  cancelled_at    timestamptz,
  created_by      uuid,
  version         integer not null default 1,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint orders_number_unique unique (number)
);
create index orders_customer_idx on orders.orders (customer_id);
create index orders_agent_idx on orders.orders (agent_id);
create index orders_territory_idx on orders.orders (territory_id);
create index orders_warehouse_idx on orders.orders (warehouse_id);
create index orders_status_idx on orders.orders (status);
create trigger orders_touch before update on orders.orders for each row execute function public.niaga_touch_updated_at();

-- Scope columns (customer, agent, warehouse) are copied onto lines so shapes need no join.
create table orders.order_items (
  id                uuid primary key default gen_random_uuid(),
  order_id          uuid not null references orders.orders (id) on delete cascade,
  customer_id       uuid not null,
  agent_id          uuid,
  warehouse_id      uuid,
  product_id        uuid not null,
  variant_id        uuid,
  sku               text not null,
  name              text not null,
  qty               integer not null check (qty > 0),
  unit_price_minor  bigint not null check (unit_price_minor >= 0),
  line_total_minor  bigint not null check (line_total_minor >= 0),
  allocated_qty     integer not null default 0 check (allocated_qty >= 0),
  picked_qty        integer not null default 0 check (picked_qty >= 0),
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now()
);
create index order_items_order_idx on orders.order_items (order_id);
create trigger order_items_touch before update on orders.order_items for each row execute function public.niaga_touch_updated_at();

create table orders.payments (
  id            uuid primary key default gen_random_uuid(),
  order_id      uuid not null references orders.orders (id) on delete cascade,
  customer_id   uuid not null,
  amount_minor  bigint not null check (amount_minor > 0),
  currency      char(3) not null,
  method        text not null check (method in ('cash', 'card', 'bank_transfer', 'credit')),
  status        text not null default 'pending' check (status in ('pending', 'processed', 'failed', 'refunded')),
  provider_ref  text,
  processed_at  timestamptz,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
create index payments_order_idx on orders.payments (order_id);
create trigger payments_touch before update on orders.payments for each row execute function public.niaga_touch_updated_at();

create table orders.pick_lists (
  id            uuid primary key default gen_random_uuid(),
  order_id      uuid not null references orders.orders (id) on delete cascade,
  warehouse_id  uuid not null,
  status        text not null default 'open' check (status in ('open', 'in_progress', 'completed', 'cancelled')),
  assigned_to   uuid,
  completed_at  timestamptz,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
create index pick_lists_warehouse_idx on orders.pick_lists (warehouse_id, status);
create trigger pick_lists_touch before update on orders.pick_lists for each row execute function public.niaga_touch_updated_at();

create table orders.pick_lines (
  id              uuid primary key default gen_random_uuid(),
  pick_list_id    uuid not null references orders.pick_lists (id) on delete cascade,
  order_item_id   uuid not null references orders.order_items (id) on delete cascade,
  warehouse_id    uuid not null,
  product_id      uuid not null,
  bin_id          uuid,
  bin_code        text not null default '',
  bin_sort_order  integer not null default 0,
  qty             integer not null check (qty > 0),
  picked_qty      integer not null default 0 check (picked_qty >= 0),
  status          text not null default 'pending' check (status in ('pending', 'picked', 'short')),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create index pick_lines_list_idx on orders.pick_lines (pick_list_id);
create index pick_lines_warehouse_idx on orders.pick_lines (warehouse_id);
create trigger pick_lines_touch before update on orders.pick_lines for each row execute function public.niaga_touch_updated_at();
