-- Completions from sources other than Moodle's web services (issue 12): the people an
-- institution knows (and the identifiers by which sources name them), which outside
-- activities stand for which achievement (the course itself, or a named quiz of it), the
-- learning records each source reports, and what every evaluation of them decided.
-- Portable between SQLite and PostgreSQL.

CREATE TABLE learners (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    name           TEXT NOT NULL,
    email          TEXT,
    -- encrypted with the master key (it goes, salted and hashed, into credentials)
    national_id_encrypted TEXT,
    language       TEXT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX learners_by_institution ON learners (institution_id, created_at);

-- kind: email (lowercase), mbox_sha1sum (of `mailto:` + email, added with the email),
-- national_id (only its SHA-256, keyed by the institution), account (`homePage|name`), openid
CREATE TABLE learner_identifiers (
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    kind           TEXT NOT NULL CHECK (kind IN ('email', 'mbox_sha1sum', 'national_id', 'account', 'openid')),
    value          TEXT NOT NULL,
    learner_id     TEXT NOT NULL REFERENCES learners (id),
    PRIMARY KEY (institution_id, kind, value)
);
CREATE INDEX learner_identifiers_by_learner ON learner_identifiers (learner_id);

-- quiz NULL: the activity is the course (its completion and score); else the quiz's name
-- as the achievement's earning rules name it.
CREATE TABLE activity_mappings (
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    activity       TEXT NOT NULL,
    achievement_id TEXT NOT NULL REFERENCES achievements (id),
    quiz           TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (institution_id, activity, achievement_id)
);

CREATE TABLE learning_records (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    learner_id     TEXT NOT NULL REFERENCES learners (id),
    achievement_id TEXT NOT NULL REFERENCES achievements (id),
    source         TEXT NOT NULL CHECK (source IN ('xapi', 'csv', 'quiz')),
    dedupe_key     TEXT NOT NULL,
    quiz           TEXT,
    completed_at   BIGINT,
    percent        DOUBLE PRECISION,
    grade          TEXT,
    detail         TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    voided_at      BIGINT,
    UNIQUE (institution_id, achievement_id, dedupe_key)
);
CREATE INDEX learning_records_of ON learning_records (institution_id, achievement_id, learner_id);
CREATE INDEX learning_records_by_key ON learning_records (institution_id, dedupe_key);

CREATE TABLE learner_evaluations (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    learner_id     TEXT NOT NULL REFERENCES learners (id),
    achievement_id TEXT NOT NULL REFERENCES achievements (id),
    record_id      TEXT REFERENCES learning_records (id),
    outcome        TEXT NOT NULL CHECK (outcome IN ('issued', 'already_issued', 'not_met')),
    reasons        TEXT NOT NULL,
    credential_id  TEXT REFERENCES credentials (id),
    at_ms          BIGINT NOT NULL
);
CREATE INDEX learner_evaluations_by_learner ON learner_evaluations (institution_id, learner_id, at_ms);
CREATE INDEX learner_evaluations_by_achievement ON learner_evaluations (institution_id, achievement_id, at_ms);
