-- Multi-target password sync: the pending attempt of a reset link, and one row per submit that
-- carries a new password to a customer's directories (the retry outbox for the secondaries).

-- Kept from the claim until the outcome is known (see ResetRecord.pendingAttempt): an HMAC of the
-- password, never the password.
ALTER TABLE resets ADD COLUMN pending_attempt jsonb;

-- `data` is the record without `sealed`; the columns beside it are what queries filter, sort and
-- claim on. `sealed` (the new password, AES-256-GCM) is set to NULL the moment nothing needs it.
CREATE TABLE syncs (
  id          text PRIMARY KEY,
  partner_id  text NOT NULL,
  customer_id text NOT NULL,
  account_id  text NOT NULL,
  created_at  timestamptz NOT NULL,
  state       text NOT NULL,
  due_at      timestamptz,
  sealed      text,
  data        jsonb NOT NULL
);
-- Workers claim due rows with FOR UPDATE SKIP LOCKED, oldest due first.
CREATE INDEX syncs_due ON syncs (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX syncs_by_partner ON syncs (partner_id, customer_id, created_at DESC);
CREATE INDEX syncs_by_account ON syncs (partner_id, account_id, created_at DESC);
CREATE INDEX syncs_by_state ON syncs (state, created_at DESC);
