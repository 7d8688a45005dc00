-- Version 7: what the dashboard reads, kept by triggers as records are stored,
-- so that it stays fast with years of records: running totals of answers (per
-- session, and per day for the whole box), each session report's people
-- reached in columns, the lessons of each session, and how often each lesson
-- was saved to a phone (a count, nothing else).

CREATE TABLE answer_tally (
    session_code TEXT NOT NULL,       -- '' outside a group session
    kind TEXT NOT NULL,               -- 'lesson' or 'test'
    subject TEXT NOT NULL,
    locale TEXT NOT NULL,
    phase TEXT NOT NULL,              -- 'pre', 'post', or '' for lesson quizzes
    day TEXT NOT NULL,                -- YYYY-MM-DD (UTC)
    question TEXT NOT NULL,
    answered INTEGER NOT NULL,
    correct INTEGER NOT NULL,
    PRIMARY KEY (session_code, kind, subject, locale, phase, day, question)
) WITHOUT ROWID;

CREATE TABLE attempt_tally (
    session_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    locale TEXT NOT NULL,
    phase TEXT NOT NULL,
    day TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    share_sum REAL NOT NULL,          -- sum over attempts of correct / total
    PRIMARY KEY (session_code, kind, subject, locale, phase, day)
) WITHOUT ROWID;

-- The same totals for the whole box, by day: the dashboard reads these unless
-- it is narrowed to some sessions.
CREATE TABLE answer_day_tally (
    kind TEXT NOT NULL,
    phase TEXT NOT NULL,
    day TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    question TEXT NOT NULL,
    answered INTEGER NOT NULL,
    correct INTEGER NOT NULL,
    PRIMARY KEY (kind, phase, day, locale, subject, question)
) WITHOUT ROWID;

CREATE TABLE attempt_day_tally (
    kind TEXT NOT NULL,
    phase TEXT NOT NULL,
    day TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    share_sum REAL NOT NULL,
    PRIMARY KEY (kind, phase, day, locale, subject)
) WITHOUT ROWID;

CREATE TRIGGER quiz_attempt_tally AFTER INSERT ON quiz_attempt BEGIN
    INSERT INTO attempt_tally (session_code, kind, subject, locale, phase, day, attempts, share_sum)
    VALUES (coalesce(NEW.session_code, ''), NEW.kind, NEW.subject, NEW.locale,
            coalesce(NEW.phase, ''), substr(NEW.created_utc, 1, 10), 1,
            CASE WHEN NEW.total > 0 THEN CAST(NEW.correct AS REAL) / NEW.total ELSE 0 END)
    ON CONFLICT DO UPDATE SET attempts = attempts + 1, share_sum = share_sum + excluded.share_sum;
    -- A live question answered in a session (a lesson's question, with the session's
    -- code) is no quiz taken: the day totals leave it out.
    INSERT INTO attempt_day_tally (kind, phase, day, locale, subject, attempts, share_sum)
    SELECT NEW.kind, coalesce(NEW.phase, ''), substr(NEW.created_utc, 1, 10), NEW.locale,
           NEW.subject, 1,
           CASE WHEN NEW.total > 0 THEN CAST(NEW.correct AS REAL) / NEW.total ELSE 0 END
    WHERE NEW.kind = 'test' OR NEW.session_code IS NULL
    ON CONFLICT DO UPDATE SET attempts = attempts + 1, share_sum = share_sum + excluded.share_sum;
END;

CREATE TRIGGER quiz_answer_tally AFTER INSERT ON quiz_answer BEGIN
    INSERT INTO answer_tally (session_code, kind, subject, locale, phase, day, question,
                              answered, correct)
    SELECT coalesce(t.session_code, ''), t.kind, t.subject, t.locale, coalesce(t.phase, ''),
           substr(NEW.created_utc, 1, 10), NEW.question, 1, NEW.is_correct
    FROM quiz_attempt t WHERE t.id = NEW.attempt_id
    ON CONFLICT DO UPDATE SET answered = answered + 1, correct = correct + excluded.correct;
    INSERT INTO answer_day_tally (kind, phase, day, locale, subject, question, answered, correct)
    SELECT t.kind, coalesce(t.phase, ''), substr(NEW.created_utc, 1, 10), t.locale, t.subject,
           NEW.question, 1, NEW.is_correct
    FROM quiz_attempt t WHERE t.id = NEW.attempt_id
    ON CONFLICT DO UPDATE SET answered = answered + 1, correct = correct + excluded.correct;
END;

-- The answers stored before this version.
INSERT INTO attempt_tally
SELECT coalesce(session_code, ''), kind, subject, locale, coalesce(phase, ''),
       substr(created_utc, 1, 10), COUNT(*),
       SUM(CASE WHEN total > 0 THEN CAST(correct AS REAL) / total ELSE 0 END)
FROM quiz_attempt GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO answer_tally
SELECT coalesce(t.session_code, ''), t.kind, t.subject, t.locale, coalesce(t.phase, ''),
       substr(a.created_utc, 1, 10), a.question, COUNT(*), SUM(a.is_correct)
FROM quiz_answer a JOIN quiz_attempt t ON t.id = a.attempt_id GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO attempt_day_tally
SELECT kind, phase, day, locale, subject, SUM(attempts), SUM(share_sum)
FROM attempt_tally WHERE kind = 'test' OR session_code = ''
GROUP BY kind, phase, day, locale, subject;

INSERT INTO answer_day_tally
SELECT kind, phase, day, locale, subject, question, SUM(answered), SUM(correct)
FROM answer_tally GROUP BY kind, phase, day, locale, subject, question;

-- People reached by each session report, by age band and in all, as it is saved.
CREATE TABLE report_band (
    session_id TEXT NOT NULL REFERENCES group_session (id),
    band TEXT NOT NULL,
    female INTEGER NOT NULL,
    male INTEGER NOT NULL,
    PRIMARY KEY (session_id, band)
) WITHOUT ROWID;

CREATE TABLE report_reach (
    session_id TEXT PRIMARY KEY REFERENCES group_session (id),
    status TEXT NOT NULL,
    day TEXT NOT NULL,                -- the report's date (the facilitator may correct it)
    female INTEGER NOT NULL,
    male INTEGER NOT NULL,
    disabled INTEGER NOT NULL,
    first_time INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER session_report_reach_insert AFTER INSERT ON session_report BEGIN
    INSERT INTO report_band (session_id, band, female, male)
    SELECT NEW.session_id, band.key, coalesce(json_extract(band.value, '$.female'), 0),
           coalesce(json_extract(band.value, '$.male'), 0)
    FROM json_each(NEW.fields, '$.attendance') AS band;
    INSERT INTO report_reach (session_id, status, day, female, male, disabled, first_time)
    SELECT NEW.session_id, NEW.status,
           coalesce(nullif(json_extract(NEW.fields, '$.date'), ''), substr(NEW.created_utc, 1, 10)),
           coalesce(SUM(female), 0), coalesce(SUM(male), 0),
           coalesce(json_extract(NEW.fields, '$.disabled'), 0),
           coalesce(json_extract(NEW.fields, '$.first_time'), 0)
    FROM report_band WHERE session_id = NEW.session_id;
END;

CREATE TRIGGER session_report_reach_update AFTER UPDATE ON session_report BEGIN
    DELETE FROM report_band WHERE session_id = OLD.session_id;
    DELETE FROM report_reach WHERE session_id = OLD.session_id;
    INSERT INTO report_band (session_id, band, female, male)
    SELECT NEW.session_id, band.key, coalesce(json_extract(band.value, '$.female'), 0),
           coalesce(json_extract(band.value, '$.male'), 0)
    FROM json_each(NEW.fields, '$.attendance') AS band;
    INSERT INTO report_reach (session_id, status, day, female, male, disabled, first_time)
    SELECT NEW.session_id, NEW.status,
           coalesce(nullif(json_extract(NEW.fields, '$.date'), ''), substr(NEW.created_utc, 1, 10)),
           coalesce(SUM(female), 0), coalesce(SUM(male), 0),
           coalesce(json_extract(NEW.fields, '$.disabled'), 0),
           coalesce(json_extract(NEW.fields, '$.first_time'), 0)
    FROM report_band WHERE session_id = NEW.session_id;
END;

INSERT INTO report_band
SELECT r.session_id, band.key, coalesce(json_extract(band.value, '$.female'), 0),
       coalesce(json_extract(band.value, '$.male'), 0)
FROM session_report r, json_each(r.fields, '$.attendance') AS band;

INSERT INTO report_reach
SELECT r.session_id, r.status,
       coalesce(nullif(json_extract(r.fields, '$.date'), ''), substr(r.created_utc, 1, 10)),
       coalesce(SUM(b.female), 0), coalesce(SUM(b.male), 0),
       coalesce(json_extract(r.fields, '$.disabled'), 0),
       coalesce(json_extract(r.fields, '$.first_time'), 0)
FROM session_report r LEFT JOIN report_band b ON b.session_id = r.session_id
GROUP BY r.session_id;

-- The lessons of each session's plan (the plan does not change once started).
CREATE TABLE session_lesson (
    session_id TEXT NOT NULL REFERENCES group_session (id),
    lesson TEXT NOT NULL,
    PRIMARY KEY (session_id, lesson)
) WITHOUT ROWID;

CREATE TRIGGER group_session_lessons AFTER INSERT ON group_session BEGIN
    INSERT OR IGNORE INTO session_lesson (session_id, lesson)
    SELECT NEW.id, json_extract(step.value, '$.subject') FROM json_each(NEW.plan) AS step
    WHERE json_extract(step.value, '$.kind') = 'lesson';
END;

INSERT OR IGNORE INTO session_lesson
SELECT s.id, json_extract(step.value, '$.subject') FROM group_session s, json_each(s.plan) AS step
WHERE json_extract(step.value, '$.kind') = 'lesson';

CREATE TABLE lesson_download (
    day TEXT NOT NULL,                -- YYYY-MM-DD (UTC)
    subject TEXT NOT NULL,            -- lesson slug
    locale TEXT NOT NULL,
    downloads INTEGER NOT NULL,
    PRIMARY KEY (day, subject, locale)
) WITHOUT ROWID;

CREATE INDEX group_session_created ON group_session (created_utc);
CREATE INDEX hazard_report_created ON hazard_report (created_utc);
