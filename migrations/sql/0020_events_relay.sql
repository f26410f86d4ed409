-- The outbox relay (sync-server/src/events/).
--
-- Publication order. created_at is the transaction's start time, shared by every event one
-- transaction writes, and ids are random, so neither orders a transaction's own events. A sequence
-- drawn at insert does: events are published in seq order.
alter table events.outbox add column seq bigint generated always as identity;
create index outbox_unsent_seq_idx on events.outbox (seq) where sent_at is null;

-- Where the event landed in the JetStream stream (null on the embedded in-process bus).
alter table events.outbox add column stream_seq bigint;

-- Per stream, the last JetStream sequence the relay recorded as sent, in the same transaction as the
-- marks. On start the relay reads the stream past it: messages there were published by a relay
-- that stopped before marking them, and are marked sent instead of published again (which the
-- stream's duplicate window would catch only while it lasts).
create table events.relay_state (
  stream      text primary key,
  last_seq    bigint not null default 0,
  updated_at  timestamptz not null default now()
);

-- Wake every relay as soon as events commit (NOTIFY is delivered on commit, once per transaction
-- and payload); relays also poll, so a missed notification only delays.
create function events.notify_outbox() returns trigger
language plpgsql as $$
begin
  perform pg_notify('niaga_outbox', '');
  return null;
end $$;

create trigger outbox_notify after insert on events.outbox
  for each statement execute function events.notify_outbox();
