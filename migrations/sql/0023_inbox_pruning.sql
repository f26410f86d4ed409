-- Housekeeping deletes inbox rows past every redelivery window (sync-server/src/housekeeping.ts).
create index inbox_processed_idx on events.inbox (processed_at);
