-- microcred schema, portable between SQLite and PostgreSQL: TEXT ids (UUIDs), BIGINT Unix
-- seconds for times, TEXT for JSON documents and base64 ciphertext. Migrations are
-- append-only: never edit a file once it has landed, add a new one.

CREATE TABLE institutions (
    id                  TEXT PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    legal_name          TEXT NOT NULL,
    registration_number TEXT NOT NULL,
    country             TEXT NOT NULL,
    street              TEXT,
    locality            TEXT,
    postal_code         TEXT,
    website             TEXT,
    logo_url            TEXT,
    created_at          BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    id                   TEXT PRIMARY KEY,
    institution_id       TEXT NOT NULL REFERENCES institutions (id),
    kid                  TEXT NOT NULL,
    public_key_multibase TEXT NOT NULL,
    secret_ciphertext    TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    retired_at           BIGINT,
    UNIQUE (institution_id, kid)
);

CREATE TABLE achievements (
    id              TEXT PRIMARY KEY,
    institution_id  TEXT NOT NULL REFERENCES institutions (id),
    slug            TEXT NOT NULL,
    current_version BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (institution_id, slug)
);

CREATE TABLE achievement_versions (
    achievement_id TEXT NOT NULL REFERENCES achievements (id),
    version        BIGINT NOT NULL,
    definition     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (achievement_id, version)
);

CREATE TABLE credentials (
    id                  TEXT PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    institution_id      TEXT NOT NULL REFERENCES institutions (id),
    achievement_id      TEXT REFERENCES achievements (id),
    achievement_version BIGINT,
    learner_name        TEXT NOT NULL,
    learner_email       TEXT,
    idempotency_key     TEXT,
    request_hash        TEXT,
    document            TEXT NOT NULL,
    issued_at           BIGINT NOT NULL,
    valid_until         BIGINT,
    created_at          BIGINT NOT NULL,
    UNIQUE (institution_id, idempotency_key)
);

CREATE INDEX credentials_by_institution ON credentials (institution_id, created_at);

CREATE TABLE api_tokens (
    id             TEXT PRIMARY KEY,
    token_hash     TEXT NOT NULL UNIQUE,
    scope          TEXT NOT NULL,
    institution_id TEXT REFERENCES institutions (id),
    role           TEXT NOT NULL,
    label          TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);

CREATE TABLE platform_setup (
    id               BIGINT PRIMARY KEY,
    setup_token_hash TEXT,
    created_at       BIGINT NOT NULL,
    completed_at     BIGINT
);
