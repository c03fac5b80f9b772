-- OIDC (ProConnect) login: the logins under way and the id_token of each OIDC session.

-- One row per login sent to the provider, keyed by a SHA-256 of the `state`
-- parameter and deleted when the provider comes back, so that a `state` is
-- used once. `browser_hash` ties the row to the browser that started the
-- login (a SHA-256 of its pre-login CSRF cookie): a callback URL opened in
-- another browser is refused (login CSRF). The nonce and the PKCE verifier
-- live a few minutes only.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_logins_expires ON oidc_logins(expires_at);

-- The id_token of a session opened through OIDC, sent back as
-- `id_token_hint` to the provider's end_session_endpoint at logout. It goes
-- with its session.
CREATE TABLE oidc_sessions (
    session_hash TEXT PRIMARY KEY REFERENCES sessions(token_hash) ON DELETE CASCADE,
    id_token TEXT NOT NULL
);
