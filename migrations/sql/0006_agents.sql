create schema agents;

create table agents.territories (
  id          uuid primary key default gen_random_uuid(),
  code        text not null check (code ~ '^[A-Z0-9-]{2,16}$'),
  name        text not null check (length(name) between 1 and 200),
  region      text not null default '',
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint territories_code_unique unique (code)
);
create trigger territories_touch before update on agents.territories for each row execute function public.niaga_touch_updated_at();

create table agents.agents (
  id                  uuid primary key default gen_random_uuid(),
  code                text not null check (code ~ '^[A-Z0-9-]{2,16}$'),
  name                text not null check (length(name) between 1 and 200),
  email               text,
  phone               text,
  territory_id        uuid not null references agents.territories (id),
  warehouse_id        uuid,  -- default fulfilment warehouse for this agent's orders
  commission_rate_bp  integer not null default 0 check (commission_rate_bp between 0 and 10000),
  active              boolean not null default true,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  constraint agents_code_unique unique (code)
);
create index agents_territory_idx on agents.agents (territory_id);
create trigger agents_touch before update on agents.agents for each row execute function public.niaga_touch_updated_at();

create table agents.routes (
  id            uuid primary key default gen_random_uuid(),
  agent_id      uuid not null references agents.agents (id) on delete cascade,
  territory_id  uuid not null,
  customer_id   uuid not null,
  planned_for   date not null,
  sequence      integer not null default 0,
  status        text not null default 'planned' check (status in ('planned', 'visited', 'skipped')),
  visited_at    timestamptz,
  notes         text not null default '',
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
create index routes_agent_day_idx on agents.routes (agent_id, planned_for, sequence);
create trigger routes_touch before update on agents.routes for each row execute function public.niaga_touch_updated_at();

create table agents.commissions (
  id            uuid primary key default gen_random_uuid(),
  agent_id      uuid not null references agents.agents (id) on delete cascade,
  order_id      uuid not null,
  amount_minor  bigint not null,
  currency      char(3) not null,
  rate_bp       integer not null check (rate_bp between 0 and 10000),
  status        text not null default 'pending' check (status in ('pending', 'approved', 'paid', 'void')),
  earned_at     timestamptz not null default now(),
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint commissions_order_unique unique (agent_id, order_id)
);
create trigger commissions_touch before update on agents.commissions for each row execute function public.niaga_touch_updated_at();
