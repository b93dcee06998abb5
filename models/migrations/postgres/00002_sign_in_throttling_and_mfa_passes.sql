-- +goose Up
-- Wrong passwords at the portal sign-ins, keyed by a MAC of the normalised
-- login name so that unknown names are counted like known ones.
CREATE TABLE sign_in_failures (
    id BIGSERIAL PRIMARY KEY,
    name_mac TEXT NOT NULL,
    source_ip TEXT NOT NULL DEFAULT '',
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_name_at ON sign_in_failures (name_mac, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);

CREATE TABLE sign_in_lockouts (
    name_mac TEXT PRIMARY KEY,
    locked_until TIMESTAMPTZ NOT NULL
);

-- The last pass of each challenge of a profile, per user and app, for the
-- profile's pass-through duration.
CREATE TABLE mfa_passes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES auth_profiles(id) ON DELETE CASCADE,
    challenge_index INTEGER NOT NULL,
    mechanisms TEXT NOT NULL,
    mechanism TEXT NOT NULL,
    passed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, app_id, profile_id, challenge_index)
);

ALTER TABLE mfa_sessions ADD COLUMN passed_through TEXT NOT NULL DEFAULT '';
ALTER TABLE mfa_sessions ADD COLUMN passed_through_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE mfa_sessions DROP COLUMN passed_through_at;
ALTER TABLE mfa_sessions DROP COLUMN passed_through;
DROP TABLE mfa_passes;
DROP TABLE sign_in_lockouts;
DROP TABLE sign_in_failures;
