-- +goose Up
-- The email and SMS codes sent in an MFA session, one row per challenge,
-- mechanism and destination. Each row keeps its own resend interval and
-- send count, so choosing another mechanism sends its code at once, and a
-- code sent earlier to another destination stays valid. The column
-- mfa_sessions.code_sends still counts every code of the session for the
-- session's overall cap.
CREATE TABLE mfa_session_codes (
    session_id TEXT NOT NULL REFERENCES mfa_sessions(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    mechanism TEXT NOT NULL,
    destination_hash TEXT NOT NULL,
    code_hash TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    sends INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, step, mechanism, destination_hash)
);

-- +goose Down
DROP TABLE mfa_session_codes;
