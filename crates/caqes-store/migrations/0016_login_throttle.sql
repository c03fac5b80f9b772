-- Login throttling (issue 14, point 2): one counter row per subject, an account
-- ('compte:' + normalised e-mail) or a client address ('adresse:' + IP, IPv6
-- grouped by /64). An attempt is counted in the same write transaction that
-- checks the row, BEFORE the password is checked, so parallel requests cannot
-- all pass the check; a successful login gives its attempt back.
--
-- `failures` counts the attempts since the subject's last quiet period,
-- `last_at` is the last counted attempt and `next_at` the first instant at
-- which another attempt will be checked (milliseconds since the epoch, so
-- that a one-second delay does not depend on the clock's second boundaries). Rows quiet
-- for longer than the quiet period are purged.
--
-- It replaces `login_failures` (one row per failure, read with a COUNT that
-- was not atomic with the check, and a 15-minute lockout anyone could trigger).
CREATE TABLE login_throttle (
    subject TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    next_at BIGINT NOT NULL
);
CREATE INDEX login_throttle_last_at ON login_throttle(last_at);

DROP TABLE login_failures;
