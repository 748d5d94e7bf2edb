-- Typed columns and the integrity fixes of the issuer rebuild.
--
-- * CHECK constraints on every enumerated column (credential state, event action, token scope
--   and role, status purpose). SQLite cannot add a constraint to a table, so the tables are
--   rebuilt (create, copy, drop, rename), in an order that works on SQLite and PostgreSQL
--   alike: dependents are dropped before what they reference.
-- * credentials.id becomes an internal key, apart from the credential's own `id` (vc_id):
--   status list indexes belong to the internal key, never to an id a caller chose. Existing
--   rows keep id = vc_id.
-- * A correction's old credential is now `superseded` (it was `revoked` with a reason
--   starting "superseded by").
-- * Status allocations that do not belong to a stored credential of the list's own
--   institution are dropped: they came from refused or lost issue requests (including
--   VC-API requests that reused another institution's credential id) and no stored
--   credential carries them.
-- * Who acted: the token that issued a credential or changed its state; tokens record when
--   they were last used; the setup token expires.

CREATE TABLE credentials_v3 (
    id                  TEXT PRIMARY KEY,
    vc_id               TEXT NOT NULL UNIQUE,
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
    state               TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'revoked', 'superseded')),
    state_changed_at    BIGINT,
    replaces            TEXT,
    replaced_by         TEXT,
    issued_by_token     TEXT,
    issued_by           TEXT NOT NULL,
    UNIQUE (institution_id, idempotency_key)
);

INSERT INTO credentials_v3 (id, vc_id, code, institution_id, achievement_id, achievement_version,
    learner_name, learner_email, idempotency_key, request_hash, document, issued_at, valid_until,
    created_at, state, state_changed_at, replaces, replaced_by, issued_by_token, issued_by)
SELECT id, id, code, institution_id, achievement_id, achievement_version,
    learner_name, learner_email, idempotency_key, request_hash, document, issued_at, valid_until,
    created_at,
    CASE WHEN state = 'revoked' AND replaced_by IS NOT NULL THEN 'superseded' ELSE state END,
    state_changed_at, replaces, replaced_by, NULL, 'unrecorded (issued before 2026-11-23)'
FROM credentials;

CREATE TABLE credential_events_v3 (
    id            TEXT PRIMARY KEY,
    credential_id TEXT NOT NULL REFERENCES credentials_v3 (id),
    seq           BIGINT NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('active', 'suspended', 'revoked', 'superseded')),
    reason        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    actor_token   TEXT,
    at            BIGINT NOT NULL,
    UNIQUE (credential_id, seq)
);

INSERT INTO credential_events_v3 (id, credential_id, seq, action, reason, actor, actor_token, at)
SELECT id, credential_id, seq,
    CASE WHEN action = 'revoked' AND reason LIKE 'superseded by %' THEN 'superseded' ELSE action END,
    reason, actor, NULL, at
FROM credential_events;

CREATE TABLE status_lists_v3 (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    purpose        TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
    list_number    BIGINT NOT NULL CHECK (list_number >= 1),
    size           BIGINT NOT NULL,
    allocated      BIGINT NOT NULL,
    bits           TEXT NOT NULL,
    version        BIGINT NOT NULL,
    document       TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (institution_id, purpose, list_number)
);

INSERT INTO status_lists_v3 (id, institution_id, purpose, list_number, size, allocated, bits,
    version, document, updated_at)
SELECT id, institution_id, purpose, list_number, size, allocated, bits, version, document, updated_at
FROM status_lists;

CREATE TABLE status_allocations_v3 (
    list_id       TEXT NOT NULL REFERENCES status_lists_v3 (id),
    idx           BIGINT NOT NULL CHECK (idx >= 0),
    -- Deferred: the pipeline allocates before it signs and stores, in one transaction.
    credential_id TEXT NOT NULL REFERENCES credentials_v3 (id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (list_id, idx)
);

INSERT INTO status_allocations_v3 (list_id, idx, credential_id)
SELECT a.list_id, a.idx, a.credential_id
FROM status_allocations a
JOIN status_lists l ON l.id = a.list_id
JOIN credentials c ON c.id = a.credential_id AND c.institution_id = l.institution_id;

CREATE TABLE api_tokens_v3 (
    id             TEXT PRIMARY KEY,
    token_hash     TEXT NOT NULL UNIQUE,
    scope          TEXT NOT NULL CHECK (scope IN ('platform', 'institution')),
    institution_id TEXT REFERENCES institutions (id),
    role           TEXT NOT NULL CHECK (role IN ('admin', 'registrar')),
    label          TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    revoked_at     BIGINT,
    CHECK ((scope = 'platform' AND institution_id IS NULL) OR (scope = 'institution' AND institution_id IS NOT NULL))
);

INSERT INTO api_tokens_v3 (id, token_hash, scope, institution_id, role, label, created_at,
    last_used_at, revoked_at)
SELECT id, token_hash, scope, institution_id, role, label, created_at, NULL, revoked_at
FROM api_tokens;

DROP TABLE status_allocations;
DROP TABLE credential_events;
DROP TABLE status_lists;
DROP TABLE credentials;
DROP TABLE api_tokens;

ALTER TABLE credentials_v3 RENAME TO credentials;
ALTER TABLE credential_events_v3 RENAME TO credential_events;
ALTER TABLE status_lists_v3 RENAME TO status_lists;
ALTER TABLE status_allocations_v3 RENAME TO status_allocations;
ALTER TABLE api_tokens_v3 RENAME TO api_tokens;

CREATE INDEX credentials_by_institution ON credentials (institution_id, created_at);
CREATE INDEX status_allocations_by_credential ON status_allocations (credential_id);
CREATE INDEX api_tokens_by_institution ON api_tokens (institution_id);

ALTER TABLE platform_setup ADD COLUMN expires_at BIGINT;
