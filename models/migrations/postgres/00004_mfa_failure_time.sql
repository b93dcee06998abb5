-- +goose Up
-- The time of the user's latest wrong MFA answer. While it lies before the
-- lockout window, the user has no wrong answers to count, so the MFA pages
-- read mfa_failures only for users who gave one lately.
ALTER TABLE users ADD COLUMN last_mfa_failure_at TIMESTAMPTZ;
UPDATE users SET last_mfa_failure_at =
    (SELECT max(at) FROM mfa_failures WHERE mfa_failures.user_id = users.id);

-- Email and SMS codes have lived in mfa_session_codes since migration 3.
ALTER TABLE mfa_sessions
    DROP COLUMN code_hash,
    DROP COLUMN code_expires_at,
    DROP COLUMN code_sent_at;

-- +goose Down
ALTER TABLE mfa_sessions
    ADD COLUMN code_hash TEXT NOT NULL DEFAULT '',
    ADD COLUMN code_expires_at TIMESTAMPTZ,
    ADD COLUMN code_sent_at TIMESTAMPTZ;
ALTER TABLE users DROP COLUMN last_mfa_failure_at;
