-- resetbridge schema, version 1. Applied once by src/store/postgres/migrate.ts; never edit an
-- applied migration: add 002_… instead.
--
-- Tenants keep their whole record in `data` (jsonb) so new optional fields need no migration;
-- the columns beside it are the ones queries filter and sort on. Names sort with ICU's root
-- collation, like the embedded store's localeCompare.

CREATE TABLE partners (
  id   text PRIMARY KEY,
  data jsonb NOT NULL
);

CREATE TABLE customers (
  id         text PRIMARY KEY,
  partner_id text NOT NULL REFERENCES partners (id),
  name       text COLLATE "und-x-icu" NOT NULL,
  data       jsonb NOT NULL,
  UNIQUE (partner_id, id)
);
CREATE INDEX customers_by_partner ON customers (partner_id, name);

CREATE TABLE accounts (
  id          text PRIMARY KEY,
  partner_id  text NOT NULL,
  customer_id text NOT NULL,
  name        text COLLATE "und-x-icu" NOT NULL,
  login       text NOT NULL,
  email       text NOT NULL,
  data        jsonb NOT NULL,
  -- An account belongs to a company of the same partner.
  FOREIGN KEY (partner_id, customer_id) REFERENCES customers (partner_id, id)
);
CREATE INDEX accounts_by_customer ON accounts (partner_id, customer_id, name);
CREATE INDEX accounts_by_login ON accounts (partner_id, lower(login));
-- Not partner-first: the code page looks open resets up by email alone.
CREATE INDEX accounts_by_email ON accounts (lower(email));

-- No foreign keys from here on: resets, audit and mail outlive the tenant rows they name.
CREATE TABLE resets (
  id            text PRIMARY KEY,
  partner_id    text NOT NULL,
  customer_id   text NOT NULL,
  account_id    text NOT NULL,
  token_hash    text NOT NULL UNIQUE,
  flow          text NOT NULL,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  created_by    text NOT NULL,
  -- The short code mailed beside the link (an HMAC of it), its wrong tries, and the token handed
  -- out for a correct code, which then works like the mailed one.
  code_hash      text,
  code_attempts  integer,
  alt_token_hash text UNIQUE,
  claimed_until timestamptz,
  consumed_at   timestamptz,
  revoked_at    timestamptz
);
-- One open link per account, held by the database itself.
CREATE UNIQUE INDEX resets_one_open_per_account ON resets (partner_id, account_id)
  WHERE consumed_at IS NULL AND revoked_at IS NULL;

CREATE TABLE audit_events (
  seq        bigint PRIMARY KEY,
  at         timestamptz NOT NULL,
  partner_id text,
  type       text NOT NULL,
  -- The event exactly as hashed, so the chain verifies from what is stored.
  event      jsonb NOT NULL
);
CREATE INDEX audit_by_partner ON audit_events (partner_id, seq);

-- The chain head: appends lock this one row, so events get consecutive numbers and each one
-- commits to the hash of the one before, whichever instance writes it.
CREATE TABLE audit_head (
  id   integer PRIMARY KEY CHECK (id = 1),
  seq  bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE outbox (
  id              text PRIMARY KEY,
  partner_id      text,
  kind            text NOT NULL,
  sealed          text NOT NULL,
  status          text NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
  attempts        integer NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  created_at      timestamptz NOT NULL,
  sent_at         timestamptz,
  last_error      text,
  -- A worker that stopped mid-send loses its claim at this time and another one retries.
  lease_until     timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status IN ('queued', 'sending');

CREATE TABLE sessions (
  sid        text PRIMARY KEY,
  data       text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE sso_requests (
  id            text PRIMARY KEY,
  connection_id text NOT NULL,
  expires_at    timestamptz NOT NULL
);

CREATE TABLE seen_assertions (
  id         text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);

CREATE TABLE admins (
  connection_id text NOT NULL,
  sub           text NOT NULL,
  partner_id    text NOT NULL,
  data          jsonb NOT NULL,
  PRIMARY KEY (connection_id, sub)
);
CREATE INDEX admins_by_partner ON admins (partner_id);
