-- The toolkit's database, version 1. Every record carries a UUID, the id of
-- the box (device) that made it and a UTC time, so that records from many
-- boxes merge into one central database without duplicates.

-- One person's answers to a lesson quiz or to a knowledge test. Anonymous:
-- nothing here says who answered.
CREATE TABLE quiz_attempt (
    id TEXT PRIMARY KEY,              -- UUID sent with the form: a resend is the same attempt
    device TEXT NOT NULL,
    created_utc TEXT NOT NULL,        -- ISO 8601, e.g. 2026-11-28T14:05:09Z
    kind TEXT NOT NULL CHECK (kind IN ('lesson', 'test')),
    subject TEXT NOT NULL,            -- lesson slug or knowledge test id
    locale TEXT NOT NULL,
    phase TEXT CHECK (phase IN ('pre', 'post')),  -- knowledge tests only
    session_code TEXT,                -- the group session it was taken in, if any
    pack_version TEXT NOT NULL,
    correct INTEGER NOT NULL,
    total INTEGER NOT NULL
);

CREATE INDEX quiz_attempt_subject ON quiz_attempt (subject, phase);
CREATE INDEX quiz_attempt_session ON quiz_attempt (session_code);

-- One answer of an attempt, by language-neutral question and option ids.
CREATE TABLE quiz_answer (
    id TEXT PRIMARY KEY,              -- UUID derived from the attempt and the question
    device TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    attempt_id TEXT NOT NULL REFERENCES quiz_attempt (id),
    question TEXT NOT NULL,
    choice TEXT NOT NULL,
    is_correct INTEGER NOT NULL CHECK (is_correct IN (0, 1)),
    UNIQUE (attempt_id, question)
);

CREATE INDEX quiz_answer_question ON quiz_answer (question);
