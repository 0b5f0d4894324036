-- Rate-limit counters shared by every instance (rate-limiter-flexible's RateLimiterPostgres layout:
-- it is told the table exists and never creates it itself). Keys are `<bucket>:<sha-256 of the
-- email, token or IP>`, never the value itself; `expire` is epoch milliseconds.
CREATE TABLE rate_limits (
  key    varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
