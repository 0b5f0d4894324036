-- Partners that let the REST API return reset links (out-of-band delivery) instead of mailing them.
-- The setting lives in `data` like every partner field; this column is generated from it by the
-- database, so every path that writes partners keeps it right, and an operator can list them:
-- SELECT id FROM partners WHERE out_of_band_links;

ALTER TABLE partners ADD COLUMN out_of_band_links boolean
  GENERATED ALWAYS AS (coalesce((data->>'outOfBandLinks')::boolean, false)) STORED;
