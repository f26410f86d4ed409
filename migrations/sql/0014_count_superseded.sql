-- A count taken before the latest applied count of the same item arrives late: it is kept in the
-- ledger as 'superseded' (on hand = the latest count + what moved after it, so it changes nothing).
alter table inventory.count_lines drop constraint count_lines_status_check;
alter table inventory.count_lines add constraint count_lines_status_check
  check (status in ('pending', 'applied', 'awaiting_approval', 'approved', 'voided', 'superseded'));
