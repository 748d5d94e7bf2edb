-- Moodle triggers (issue 8): connections to Moodle sites, the courses mapped to achievements,
-- the durable inbox that events and polls write to before a worker evaluates them, every
-- evaluation with its outcome and reasons, and the mail outbox's delivery bookkeeping.
-- Portable between SQLite and PostgreSQL.

CREATE TABLE moodle_connections (
    id                    TEXT PRIMARY KEY,
    institution_id        TEXT NOT NULL REFERENCES institutions (id),
    site_url              TEXT NOT NULL,
    site_name             TEXT NOT NULL,
    moodle_release        TEXT,
    token_encrypted       TEXT NOT NULL,
    hook_secret_encrypted TEXT NOT NULL,
    poll_minutes          BIGINT CHECK (poll_minutes IS NULL OR (poll_minutes >= 1 AND poll_minutes <= 10080)),
    next_poll_at          BIGINT,
    last_poll_at          BIGINT,
    last_poll_error       TEXT,
    created_at            BIGINT NOT NULL,
    UNIQUE (institution_id, site_url)
);

CREATE TABLE moodle_courses (
    connection_id  TEXT NOT NULL REFERENCES moodle_connections (id),
    course_id      BIGINT NOT NULL,
    shortname      TEXT NOT NULL,
    fullname       TEXT NOT NULL,
    achievement_id TEXT NOT NULL REFERENCES achievements (id),
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (connection_id, course_id, achievement_id)
);

CREATE TABLE trigger_inbox (
    id              TEXT PRIMARY KEY,
    institution_id  TEXT NOT NULL REFERENCES institutions (id),
    connection_id   TEXT NOT NULL REFERENCES moodle_connections (id),
    source          TEXT NOT NULL CHECK (source IN ('event', 'poll', 'manual')),
    dedupe_key      TEXT NOT NULL,
    moodle_user_id  BIGINT NOT NULL,
    course_id       BIGINT NOT NULL,
    detail          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT,
    last_error      TEXT,
    received_at     BIGINT NOT NULL,
    finished_at     BIGINT,
    UNIQUE (connection_id, dedupe_key)
);
CREATE INDEX trigger_inbox_due ON trigger_inbox (state, next_attempt_at);

CREATE TABLE evaluations (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    inbox_id       TEXT REFERENCES trigger_inbox (id),
    connection_id  TEXT NOT NULL REFERENCES moodle_connections (id),
    achievement_id TEXT NOT NULL REFERENCES achievements (id),
    moodle_user_id BIGINT NOT NULL,
    course_id      BIGINT NOT NULL,
    learner_name   TEXT,
    outcome        TEXT NOT NULL CHECK (outcome IN ('issued', 'already_issued', 'not_met')),
    reasons        TEXT NOT NULL,
    credential_id  TEXT REFERENCES credentials (id),
    at             BIGINT NOT NULL
);
CREATE INDEX evaluations_by_learner ON evaluations (institution_id, moodle_user_id, at);
CREATE INDEX evaluations_by_achievement ON evaluations (institution_id, achievement_id, at);

CREATE TABLE moodle_observations (
    connection_id  TEXT NOT NULL REFERENCES moodle_connections (id),
    course_id      BIGINT NOT NULL,
    moodle_user_id BIGINT NOT NULL,
    fingerprint    TEXT NOT NULL,
    seen_at        BIGINT NOT NULL,
    PRIMARY KEY (connection_id, course_id, moodle_user_id)
);

CREATE TABLE hook_replays (
    connection_id TEXT NOT NULL REFERENCES moodle_connections (id),
    signature     TEXT NOT NULL,
    seen_at       BIGINT NOT NULL,
    PRIMARY KEY (connection_id, signature)
);

ALTER TABLE notifications ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN locked_until BIGINT;
ALTER TABLE notifications ADD COLUMN last_error TEXT;
CREATE INDEX notifications_due ON notifications (sent_at, next_attempt_at);

-- Webhooks an institution registers to hear of its credentials being issued or changing
-- state, and their deliveries (an outbox, signed like the events we receive).
CREATE TABLE institution_webhooks (
    id               TEXT PRIMARY KEY,
    institution_id   TEXT NOT NULL REFERENCES institutions (id),
    url              TEXT NOT NULL,
    secret_encrypted TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (institution_id, url)
);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES institution_webhooks (id) ON DELETE CASCADE,
    event           TEXT NOT NULL CHECK (event IN ('credential.issued', 'credential.revoked', 'credential.suspended', 'credential.active', 'credential.superseded')),
    payload         TEXT NOT NULL,
    -- milliseconds, so deliveries of one credential go out in the order they happened
    created_at_ms   BIGINT NOT NULL,
    delivered_at    BIGINT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT,
    last_error      TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (delivered_at, next_attempt_at);

-- The learner's private holder link is an HMAC of the credential's key and this epoch: the
-- registrar revokes a leaked link by moving the epoch on (and sends the new one).
ALTER TABLE credentials ADD COLUMN holder_epoch BIGINT NOT NULL DEFAULT 0;
