-- Language and time-zone preferences live in each record's `data` (account: `locale`, `timeZone`;
-- company and partner: `defaultLocale`), like every other optional field. The database still refuses
-- anything but a short text there, so a bad write cannot break every page and mail of a tenant.
ALTER TABLE partners ADD CONSTRAINT partners_default_locale_text
  CHECK (NOT data ? 'defaultLocale' OR (jsonb_typeof(data->'defaultLocale') = 'string' AND length(data->>'defaultLocale') <= 35));
ALTER TABLE customers ADD CONSTRAINT customers_default_locale_text
  CHECK (NOT data ? 'defaultLocale' OR (jsonb_typeof(data->'defaultLocale') = 'string' AND length(data->>'defaultLocale') <= 35));
ALTER TABLE accounts ADD CONSTRAINT accounts_locale_text
  CHECK (NOT data ? 'locale' OR (jsonb_typeof(data->'locale') = 'string' AND length(data->>'locale') <= 35));
ALTER TABLE accounts ADD CONSTRAINT accounts_time_zone_text
  CHECK (NOT data ? 'timeZone' OR (jsonb_typeof(data->'timeZone') = 'string' AND length(data->>'timeZone') <= 64));
