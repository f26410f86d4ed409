create schema reporting;

-- Read models maintained by event consumers (the write path fills them).
create table reporting.sales_summary (
  id             uuid primary key default gen_random_uuid(),
  day            date not null,
  territory_id   uuid,
  agent_id       uuid,
  currency       char(3) not null,
  orders_count   integer not null default 0,
  units          integer not null default 0,
  revenue_minor  bigint not null default 0,
  updated_at     timestamptz not null default now(),
  constraint sales_summary_key unique nulls not distinct (day, territory_id, agent_id, currency)
);

create table reporting.inventory_summary (
  warehouse_id     uuid primary key,
  sku_count        integer not null default 0,
  units_on_hand    bigint not null default 0,
  units_reserved   bigint not null default 0,
  value_minor      bigint not null default 0,
  low_stock_count  integer not null default 0,
  updated_at       timestamptz not null default now()
);
