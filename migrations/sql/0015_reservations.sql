-- Stock held for order lines by the inventory side of the order saga, so a cancelled order
-- releases exactly what was held for it. stock_items.reserved is the sum of the active rows.
create table inventory.reservations (
  id             uuid primary key default gen_random_uuid(),
  order_id       uuid not null,
  order_item_id  uuid not null,
  warehouse_id   uuid not null references inventory.warehouses (id) on delete cascade,
  product_id     uuid not null,
  qty            integer not null check (qty >= 0),
  status         text not null default 'active' check (status in ('active', 'released')),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  constraint reservations_item_unique unique (order_item_id)
);
create index reservations_order_idx on inventory.reservations (order_id);
create trigger reservations_touch before update on inventory.reservations for each row execute function public.niaga_touch_updated_at();
