-- +goose Up
-- The time of the user's latest wrong MFA answer. While it lies before the
-- lockout window, the user has no wrong answers to count, so the MFA pages
-- read mfa_failures only for users who gave one lately.
ALTER TABLE users ADD COLUMN last_mfa_failure_at TIMESTAMPTZ;
UPDATE users SET last_mfa_failure_at = latest.at
FROM (SELECT user_id, max(at) AS at FROM mfa_failures GROUP BY user_id) AS latest
WHERE users.id = latest.user_id;

-- The columns code_hash, code_expires_at and code_sent_at of mfa_sessions
-- have been unused since migration 3 moved codes to mfa_session_codes.
-- They stay until a later release, because instances of the previous
-- release still write them while a rolling upgrade runs.

-- +goose Down
ALTER TABLE users DROP COLUMN last_mfa_failure_at;
