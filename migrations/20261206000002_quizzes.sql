-- Quizzes without an LMS (issue 12): question banks imported from GIFT or Aiken files, their
-- questions, quizzes that draw on a bank for an achievement, and learners' attempts.
-- Portable between SQLite and PostgreSQL.

CREATE TABLE question_banks (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    name           TEXT NOT NULL,
    format         TEXT NOT NULL CHECK (format IN ('gift', 'aiken')),
    questions      BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX question_banks_by_institution ON question_banks (institution_id, created_at);

-- question: the question as JSON (type, text, answers with fractions, feedback)
CREATE TABLE bank_questions (
    bank_id  TEXT NOT NULL REFERENCES question_banks (id),
    position BIGINT NOT NULL,
    category TEXT NOT NULL,
    kind     TEXT NOT NULL,
    question TEXT NOT NULL,
    PRIMARY KEY (bank_id, position)
);

CREATE TABLE quizzes (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    achievement_id TEXT NOT NULL REFERENCES achievements (id),
    bank_id        TEXT NOT NULL REFERENCES question_banks (id),
    title          TEXT NOT NULL,
    category       TEXT,
    pick           BIGINT,
    time_limit_s   BIGINT,
    max_attempts   BIGINT,
    pass_percent   DOUBLE PRECISION NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (institution_id, achievement_id, title)
);

-- questions: JSON array of bank positions, in the order shown; marks: JSON array, one per
-- question ({"graded": f} | "pending" | "ungraded"); responses: JSON array as submitted
CREATE TABLE quiz_attempts (
    id             TEXT PRIMARY KEY,
    quiz_id        TEXT NOT NULL REFERENCES quizzes (id),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    learner_id     TEXT NOT NULL REFERENCES learners (id),
    number         BIGINT NOT NULL,
    questions      TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('open', 'awaiting_grading', 'graded')),
    started_at     BIGINT NOT NULL,
    deadline       BIGINT,
    submitted_at   BIGINT,
    responses      TEXT,
    marks          TEXT,
    percent        DOUBLE PRECISION,
    -- SHA-256 of the key the learner takes the attempt with (shown once, at the start)
    key_hash       TEXT NOT NULL,
    UNIQUE (quiz_id, learner_id, number)
);
