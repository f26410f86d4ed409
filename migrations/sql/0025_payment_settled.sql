-- A pending payment (an invoice on credit terms, to be paid later) becomes `settled` once payments
-- taken for its order cover the order (payment.record): the order is not owed twice.
alter table orders.payments drop constraint payments_status_check;
alter table orders.payments add constraint payments_status_check check (status in ('pending', 'processed', 'failed', 'refunded', 'settled'));
