create schema catalog;

create table catalog.categories (
  id          uuid primary key default gen_random_uuid(),
  parent_id   uuid references catalog.categories (id) on delete restrict,
  name        text not null check (length(name) between 1 and 200),
  slug        text not null check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  sort_order  integer not null default 0,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint categories_slug_unique unique (slug),
  constraint categories_not_own_parent check (parent_id is null or parent_id <> id)
);
create index categories_parent_idx on catalog.categories (parent_id);
create trigger categories_touch before update on catalog.categories for each row execute function public.niaga_touch_updated_at();

-- Money is integer minor units (cents) with an ISO 4217 code. cost_minor is admin-only.
create table catalog.products (
  id           uuid primary key default gen_random_uuid(),
  sku          text not null check (length(sku) between 1 and 64),
  barcode      text check (barcode ~ '^[0-9]{8,14}$'),
  name         text not null check (length(name) between 1 and 300),
  description  text not null default '',
  category_id  uuid references catalog.categories (id) on delete set null,
  tags         text[] not null default '{}',
  active       boolean not null default true,
  price_minor  bigint not null check (price_minor >= 0),
  cost_minor   bigint check (cost_minor >= 0),
  currency     char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  unit         text not null default 'each',
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint products_sku_unique unique (sku),
  constraint products_barcode_unique unique (barcode)
);
create index products_category_idx on catalog.products (category_id);
create index products_tags_idx on catalog.products using gin (tags);
create trigger products_touch before update on catalog.products for each row execute function public.niaga_touch_updated_at();

create table catalog.variants (
  id           uuid primary key default gen_random_uuid(),
  product_id   uuid not null references catalog.products (id) on delete cascade,
  sku          text not null check (length(sku) between 1 and 64),
  barcode      text check (barcode ~ '^[0-9]{8,14}$'),
  size         text,
  colour       text,
  price_minor  bigint check (price_minor >= 0), -- null: the product's price
  active       boolean not null default true,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint variants_sku_unique unique (sku),
  constraint variants_barcode_unique unique (barcode)
);
create index variants_product_idx on catalog.variants (product_id);
create trigger variants_touch before update on catalog.variants for each row execute function public.niaga_touch_updated_at();

create table catalog.images (
  id          uuid primary key default gen_random_uuid(),
  product_id  uuid not null references catalog.products (id) on delete cascade,
  url         text not null,
  alt         text not null default '',
  sort_order  integer not null default 0,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
create index images_product_idx on catalog.images (product_id);
create trigger images_touch before update on catalog.images for each row execute function public.niaga_touch_updated_at();

create table catalog.price_history (
  id              uuid primary key default gen_random_uuid(),
  product_id      uuid not null references catalog.products (id) on delete cascade,
  price_minor     bigint not null check (price_minor >= 0),
  currency        char(3) not null,
  effective_from  timestamptz not null default now(),
  changed_by      uuid,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create index price_history_product_idx on catalog.price_history (product_id, effective_from desc);
