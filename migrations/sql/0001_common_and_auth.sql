-- Shared helper: every synced table keeps updated_at current on UPDATE.
create or replace function public.niaga_touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end $$;

create schema auth;

create table auth.users (
  id            uuid primary key default gen_random_uuid(),
  email         text not null check (email = lower(email) and position('@' in email) > 1),
  password_hash text not null,
  name          text not null default '',
  role          text not null check (role in ('admin', 'agent', 'warehouse', 'customer')),
  -- Scope claims: the shape rules filter on these, so each role must have its own.
  warehouse_id  uuid,
  territory_id  uuid,
  agent_id      uuid,
  customer_id   uuid,
  disabled      boolean not null default false,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint users_email_unique unique (email),
  constraint users_warehouse_scope check (role <> 'warehouse' or warehouse_id is not null),
  constraint users_agent_scope check (role <> 'agent' or (agent_id is not null and territory_id is not null)),
  constraint users_customer_scope check (role <> 'customer' or customer_id is not null)
);
create trigger users_touch before update on auth.users for each row execute function public.niaga_touch_updated_at();

-- One row per refresh token. Rotation inserts a new row in the same family and marks the old one
-- rotated; presenting a rotated or revoked token again revokes the whole family.
create table auth.sessions (
  id           uuid primary key default gen_random_uuid(),
  family_id    uuid not null,
  user_id      uuid not null references auth.users (id) on delete cascade,
  token_hash   text not null,
  device_name  text,
  user_agent   text,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  rotated_at   timestamptz,
  revoked_at   timestamptz,
  constraint sessions_token_hash_unique unique (token_hash)
);
create index sessions_family_idx on auth.sessions (family_id);
create index sessions_user_idx on auth.sessions (user_id);
create trigger sessions_touch before update on auth.sessions for each row execute function public.niaga_touch_updated_at();
