-- Bulk issuance as a job (issue 11): an uploaded CSV file becomes a job and one row per data
-- line, worked through in batches. A row's credential, its outcome and the job's counters are
-- committed in one transaction, so a job that stops half-way (a crash, a restart) resumes
-- where it stopped and issues nothing twice. A row's request (the learner's personal data) is
-- erased once the row has its outcome. Portable between SQLite and PostgreSQL.

CREATE TABLE bulk_jobs (
    id               TEXT PRIMARY KEY,
    institution_id   TEXT NOT NULL REFERENCES institutions (id),
    achievement_id   TEXT NOT NULL REFERENCES achievements (id),
    achievement_slug TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'cancelled')),
    total_rows       BIGINT NOT NULL,
    done_rows        BIGINT NOT NULL,
    issued           BIGINT NOT NULL,
    already_issued   BIGINT NOT NULL,
    failed           BIGINT NOT NULL,
    attempt          BIGINT NOT NULL,
    locked_until     BIGINT,
    last_error       TEXT,
    created_by_token TEXT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT
);
CREATE INDEX bulk_jobs_by_institution ON bulk_jobs (institution_id, created_at);
CREATE INDEX bulk_jobs_due ON bulk_jobs (state, locked_until);

CREATE TABLE bulk_job_rows (
    job_id        TEXT NOT NULL REFERENCES bulk_jobs (id),
    line          BIGINT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'issued', 'already_issued', 'failed')),
    request       TEXT,
    fingerprint   TEXT,
    credential_id TEXT REFERENCES credentials (id),
    errors        TEXT,
    finished_at   BIGINT,
    PRIMARY KEY (job_id, line)
);
CREATE INDEX bulk_job_rows_by_state ON bulk_job_rows (job_id, state, line);
