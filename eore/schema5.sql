-- Version 5: the report of a group session, as operators file it for the
-- national database (IMAS 12.10 fields). Attendance is kept as JSON by age
-- band and sex, since bands differ by country (the pack sets them).

CREATE TABLE session_report (
    id TEXT PRIMARY KEY,              -- UUID
    device TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    updated_utc TEXT NOT NULL,
    session_id TEXT NOT NULL UNIQUE REFERENCES group_session (id),
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'verified')),
    submitted_utc TEXT,
    verified_by TEXT REFERENCES account (id),
    verified_utc TEXT,
    fields TEXT NOT NULL              -- JSON: date, times, organisation, team, place, attendance...
);
