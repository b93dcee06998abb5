-- +goose Up
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    login_name TEXT NOT NULL,
    login_name_key TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    mobile_number TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL DEFAULT '',
    password_changed_at TIMESTAMPTZ,
    is_service_user BOOLEAN NOT NULL DEFAULT FALSE,
    is_oauth_client BOOLEAN NOT NULL DEFAULT FALSE,
    password_never_expires BOOLEAN NOT NULL DEFAULT FALSE,
    require_password_change BOOLEAN NOT NULL DEFAULT FALSE,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    locked_until TIMESTAMPTZ,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    totp_secret_enc BYTEA,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    totp_enrolled_at TIMESTAMPTZ,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    mobile_verified BOOLEAN NOT NULL DEFAULT FALSE,
    security_question TEXT NOT NULL DEFAULT '',
    security_answer_hash TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    built_in BOOLEAN NOT NULL DEFAULT FALSE,
    rights TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE role_members (
    role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    member_type TEXT NOT NULL CHECK (member_type IN ('user', 'role')),
    member_id TEXT NOT NULL,
    PRIMARY KEY (role_id, member_type, member_id)
);
CREATE INDEX role_members_member ON role_members (member_type, member_id);

CREATE TABLE auth_profiles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    challenge1 TEXT NOT NULL DEFAULT '',
    challenge2 TEXT NOT NULL DEFAULT '',
    challenge3 TEXT NOT NULL DEFAULT '',
    pass_through_minutes INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    app_key TEXT NOT NULL UNIQUE,
    template TEXT NOT NULL CHECK (template IN ('oauth_client', 'web_app')),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    application_id TEXT,
    application_id_key TEXT UNIQUE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    token_type TEXT NOT NULL DEFAULT 'JwtRS256',
    allow_client_creds BOOLEAN NOT NULL DEFAULT FALSE,
    allow_auth_code BOOLEAN NOT NULL DEFAULT FALSE,
    allow_implicit BOOLEAN NOT NULL DEFAULT FALSE,
    allow_resource_owner BOOLEAN NOT NULL DEFAULT FALSE,
    token_lifetime_seconds INTEGER NOT NULL DEFAULT 18000,
    launch_url TEXT NOT NULL DEFAULT '',
    failure_urls TEXT NOT NULL DEFAULT '',
    auth_profile_id TEXT REFERENCES auth_profiles(id) ON DELETE SET NULL,
    launch_method TEXT NOT NULL DEFAULT 'redirect',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE scopes (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    regexes TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (app_id, name)
);

CREATE TABLE app_permissions (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    principal_type TEXT NOT NULL CHECK (principal_type IN ('user', 'role')),
    principal_id TEXT NOT NULL,
    can_grant BOOLEAN NOT NULL DEFAULT FALSE,
    can_view BOOLEAN NOT NULL DEFAULT FALSE,
    can_run BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (app_id, principal_type, principal_id)
);
CREATE INDEX app_permissions_principal ON app_permissions (principal_type, principal_id);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    cert_der BYTEA NOT NULL,
    private_key_enc BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    retired_at TIMESTAMPTZ,
    publish_until TIMESTAMPTZ
);

CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL DEFAULT '',
    source_ip TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX user_tokens_expires ON user_tokens (expires_at);

CREATE TABLE mfa_sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    passed INTEGER NOT NULL DEFAULT 0,
    amr TEXT NOT NULL DEFAULT '',
    failures INTEGER NOT NULL DEFAULT 0,
    failure_url TEXT NOT NULL DEFAULT '',
    challenge_mechanism TEXT NOT NULL DEFAULT '',
    code_hash TEXT NOT NULL DEFAULT '',
    code_expires_at TIMESTAMPTZ,
    code_sent_at TIMESTAMPTZ,
    code_sends INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX mfa_sessions_expires ON mfa_sessions (expires_at);

CREATE TABLE mfa_failures (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source_ip TEXT NOT NULL DEFAULT '',
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX mfa_failures_user_at ON mfa_failures (user_id, at);

CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id TEXT NOT NULL DEFAULT '',
    object_name TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    source_ip TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at ON audit_events (at);

CREATE TABLE outbox_messages (
    id BIGSERIAL PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE settings;
DROP TABLE revoked_tokens;
DROP TABLE outbox_messages;
DROP TABLE audit_events;
DROP TABLE web_sessions;
DROP TABLE mfa_failures;
DROP TABLE mfa_sessions;
DROP TABLE user_tokens;
DROP TABLE signing_keys;
DROP TABLE app_permissions;
DROP TABLE scopes;
DROP TABLE apps;
DROP TABLE auth_profiles;
DROP TABLE role_members;
DROP TABLE roles;
DROP TABLE users;
