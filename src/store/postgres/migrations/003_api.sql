-- The licensing platform's REST API: external ids and soft deletes on tenants, API clients, and
-- idempotency keys. `external_id` and `deleted_at` are generated from `data` by the database, so
-- every path that writes tenants (the API, imports, the demo seed) keeps them right.

ALTER TABLE partners ADD COLUMN deleted_at text GENERATED ALWAYS AS (data->>'deletedAt') STORED;
ALTER TABLE customers
  ADD COLUMN external_id text GENERATED ALWAYS AS (data->>'externalId') STORED,
  ADD COLUMN deleted_at text GENERATED ALWAYS AS (data->>'deletedAt') STORED;
ALTER TABLE accounts
  ADD COLUMN external_id text GENERATED ALWAYS AS (data->>'externalId') STORED,
  ADD COLUMN deleted_at text GENERATED ALWAYS AS (data->>'deletedAt') STORED;

-- An external id names one row of the partner, deleted or not: an upsert brings a deleted row back.
CREATE UNIQUE INDEX customers_by_external_id ON customers (partner_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_by_external_id ON accounts (partner_id, external_id) WHERE external_id IS NOT NULL;

-- Cursor pages walk ids in byte order (C collation), whatever the database's default collation:
-- the same order as the embedded store.
CREATE INDEX partners_page ON partners ((id COLLATE "C"));
CREATE INDEX customers_page ON customers (partner_id, (id COLLATE "C"));
CREATE INDEX accounts_page ON accounts (partner_id, (id COLLATE "C"));

-- A reset's status: the account's resets, and the audit events naming one reset.
CREATE INDEX resets_by_account ON resets (partner_id, account_id, created_at DESC);
CREATE INDEX audit_by_reset ON audit_events (partner_id, ((event->'detail'->>'resetId'))) WHERE event->'detail' ? 'resetId';

-- Service credentials; only a SHA-256 of each secret is kept (in `data`).
CREATE TABLE api_clients (
  id   text PRIMARY KEY,
  data jsonb NOT NULL
);

-- Idempotency-Key of POST requests, per client, until it expires. `status`/`body` hold the first
-- answer once it is known; NULL while that request still runs.
CREATE TABLE idempotency_keys (
  scope        text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  status       integer,
  body         text,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_expiry ON idempotency_keys (expires_at);
