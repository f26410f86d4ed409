create schema customers;

create table customers.customers (
  id                  uuid primary key default gen_random_uuid(),
  code                text check (code ~ '^[A-Z0-9-]{2,20}$'),
  name                text not null check (length(name) between 1 and 200),
  email               text check (email is null or position('@' in email) > 1),
  phone               text,
  territory_id        uuid,
  credit_limit_minor  bigint not null default 0 check (credit_limit_minor >= 0),
  currency            char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  notes               text not null default '',
  active              boolean not null default true,
  created_by          uuid,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  constraint customers_code_unique unique (code)
);
create index customers_territory_idx on customers.customers (territory_id);
create trigger customers_touch before update on customers.customers for each row execute function public.niaga_touch_updated_at();

create table customers.addresses (
  id           uuid primary key default gen_random_uuid(),
  customer_id  uuid not null references customers.customers (id) on delete cascade,
  territory_id uuid,  -- copied from the customer so an agent's shape needs no join
  label        text not null default '',
  line1        text not null,
  line2        text not null default '',
  city         text not null,
  region       text not null default '',
  postal_code  text not null default '',
  country      char(2) not null check (country ~ '^[A-Z]{2}$'),
  latitude     double precision check (latitude between -90 and 90),
  longitude    double precision check (longitude between -180 and 180),
  is_default   boolean not null default false,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now()
);
create index addresses_customer_idx on customers.addresses (customer_id);
create unique index addresses_one_default on customers.addresses (customer_id) where is_default;
create trigger addresses_touch before update on customers.addresses for each row execute function public.niaga_touch_updated_at();

create table customers.wishlists (
  id           uuid primary key default gen_random_uuid(),
  customer_id  uuid not null references customers.customers (id) on delete cascade,
  product_id   uuid not null,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint wishlists_product_unique unique (customer_id, product_id)
);
