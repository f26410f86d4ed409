-- Orders inventory has been told are cancelled. Events can be handled out of order (a retried
-- delivery, several instances): a reservation that arrives after the cancellation must not hold
-- stock for an order that no longer exists.
create table inventory.cancelled_orders (
  order_id    uuid primary key,
  created_at  timestamptz not null default now()
);
