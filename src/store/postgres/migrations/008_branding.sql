-- Branding of hosted pages and mails: a partner's record (customer_id '') and its companies' overrides.
CREATE TABLE branding (
  partner_id text NOT NULL,
  customer_id text NOT NULL DEFAULT '',
  data jsonb NOT NULL,
  PRIMARY KEY (partner_id, customer_id)
);

-- Logo bytes, addressed by their SHA-256 within a partner; pages link to them by that hash.
CREATE TABLE brand_logos (
  partner_id text NOT NULL,
  hash text NOT NULL,
  content_type text NOT NULL,
  bytes bytea NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (partner_id, hash)
);
