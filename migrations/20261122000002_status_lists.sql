-- Revocation and suspension (W3C Bitstring Status List v1.0), renewal and correction links,
-- the status change history, and the learner notification outbox.

CREATE TABLE status_lists (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    purpose        TEXT NOT NULL,
    list_number    BIGINT NOT NULL,
    size           BIGINT NOT NULL,
    allocated      BIGINT NOT NULL,
    bits           TEXT NOT NULL,
    version        BIGINT NOT NULL,
    document       TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (institution_id, purpose, list_number)
);

CREATE TABLE status_allocations (
    list_id       TEXT NOT NULL REFERENCES status_lists (id),
    idx           BIGINT NOT NULL,
    credential_id TEXT NOT NULL,
    PRIMARY KEY (list_id, idx)
);

CREATE INDEX status_allocations_by_credential ON status_allocations (credential_id);

ALTER TABLE credentials ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
ALTER TABLE credentials ADD COLUMN state_changed_at BIGINT;
ALTER TABLE credentials ADD COLUMN replaces TEXT;
ALTER TABLE credentials ADD COLUMN replaced_by TEXT;

CREATE TABLE credential_events (
    id            TEXT PRIMARY KEY,
    credential_id TEXT NOT NULL REFERENCES credentials (id),
    seq           BIGINT NOT NULL,
    action        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    at            BIGINT NOT NULL
);

CREATE UNIQUE INDEX credential_events_by_credential ON credential_events (credential_id, seq);

CREATE TABLE notifications (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    recipient      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    sent_at        BIGINT
);
