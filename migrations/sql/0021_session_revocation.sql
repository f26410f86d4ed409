-- Why a session was revoked. The device is told the difference: after `admin` (an administrator
-- revoked the device) or `disabled` (the account was disabled) it must delete what it synced;
-- after the others the user only logs in again and nothing on the device is lost.
alter table auth.sessions add column revoked_reason text
  constraint sessions_revoked_reason_check check (revoked_reason in ('logout', 'reuse', 'password', 'disabled', 'admin'));

-- Every instance's guard reads the recent revocations every few seconds (domain/auth/revoked-sessions.ts).
create index sessions_revoked_idx on auth.sessions (revoked_at) where revoked_at is not null;
