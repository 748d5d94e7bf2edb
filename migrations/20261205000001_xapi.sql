-- xAPI (issue 12): each institution's Learning Record Store. Clients are the Basic-auth
-- credentials an institution creates for its sources (Moodle's logstore_xapi, a SCORM/cmi5
-- player, another LMS); statements are stored as received (xAPI 1.0.3 Data §2.4), with the
-- parts completion evaluation reads pulled out, and what they were turned into (`routed`).
-- Portable between SQLite and PostgreSQL.

CREATE TABLE xapi_clients (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    label          TEXT NOT NULL,
    -- the Basic-auth user name (public) and the SHA-256 of the secret (shown once)
    username       TEXT NOT NULL UNIQUE,
    secret_hash    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    revoked_at     BIGINT
);

CREATE TABLE xapi_statements (
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    -- the statement id, a UUID in lower case
    id             TEXT NOT NULL,
    client_id      TEXT NOT NULL REFERENCES xapi_clients (id),
    verb           TEXT NOT NULL,
    -- the actor's inverse functional identifier, e.g. `account:https://moodle.example.org|17`
    actor          TEXT NOT NULL,
    -- the object's id when it is an Activity
    activity       TEXT,
    -- SHA-256 of the statement without the properties the LRS sets (id, stored, authority,
    -- version), canonical (RFC 8785): "the same statement" for PUT and POST of a known id
    fingerprint    TEXT NOT NULL,
    statement      TEXT NOT NULL,
    -- the id of the statement that voided this one
    voided_by      TEXT,
    -- what the statement became: a completion event, or why not
    routed         TEXT NOT NULL,
    stored_at_ms   BIGINT NOT NULL,
    PRIMARY KEY (institution_id, id)
);
CREATE INDEX xapi_statements_stored ON xapi_statements (institution_id, stored_at_ms);
CREATE INDEX xapi_statements_actor ON xapi_statements (institution_id, actor);
