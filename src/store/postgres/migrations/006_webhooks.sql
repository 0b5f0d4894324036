-- Webhooks (events out): subscriptions kept by IdP admins, the delivery outbox with each delivery's
-- attempt log, and how far the sweep that notices links expired unused has got.

-- `data` holds the subscription, its signing secret only sealed (AES-256-GCM with the data key).
CREATE TABLE webhook_subscriptions (
  id   text PRIMARY KEY,
  data jsonb NOT NULL
);

-- One row per event and subscription. `data` is the whole delivery (body and attempt log); the
-- columns beside it are what workers claim on and what the console sorts by.
CREATE TABLE webhook_deliveries (
  id              text PRIMARY KEY,
  subscription_id text NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  status          text NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  lease_until     timestamptz,
  created_at      timestamptz NOT NULL,
  data            jsonb NOT NULL
);
-- Workers claim due rows with FOR UPDATE SKIP LOCKED, oldest due first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'delivering');
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, created_at DESC);

-- A single row: the last reset (expiry time, then id) whose unused expiry was noticed.
CREATE TABLE webhook_expiry_cursor (
  only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  expires_at timestamptz NOT NULL,
  reset_id   text NOT NULL
);
CREATE INDEX resets_by_expiry ON resets (expires_at, (id COLLATE "C"));
