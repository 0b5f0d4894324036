-- SSO connections made by IdP admins in the console (those in the configuration file are not
-- stored). `data` holds the whole record; a client secret or SP key in it is sealed (AES-256-GCM).
CREATE TABLE sso_connections (
  id         text PRIMARY KEY,
  partner_id text NOT NULL,
  data       jsonb NOT NULL
);
CREATE INDEX sso_connections_by_partner ON sso_connections (partner_id);
