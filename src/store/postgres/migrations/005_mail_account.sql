-- The account a mail is about, so the console can show whether its last reset mail was delivered.
ALTER TABLE outbox ADD COLUMN account_id text;
