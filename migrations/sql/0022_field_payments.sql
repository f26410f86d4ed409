-- Payments taken in the field (the payment.record mutator): the agent whose order it pays (so the
-- agent's devices sync it, as order items carry it) and why a payment failed. A collection the order
-- no longer needed (two devices took the same invoice offline) is kept as failed for an admin to
-- refund or settle: the money was taken, so nothing is dropped.
alter table orders.payments add column agent_id uuid;
alter table orders.payments add column failure_reason text;
create index payments_agent_idx on orders.payments (agent_id);
update orders.payments p set agent_id = o.agent_id from orders.orders o where o.id = p.order_id and o.agent_id is not null;
