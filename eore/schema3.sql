-- Version 3: group sessions a facilitator runs on the box, which phones join by code.

CREATE TABLE group_session (
    id TEXT PRIMARY KEY,              -- UUID
    device TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,        -- join code, read aloud: no look-alike characters
    facilitator_id TEXT NOT NULL REFERENCES account (id),
    audience TEXT NOT NULL,
    locale TEXT NOT NULL,
    place TEXT NOT NULL,
    admin_area TEXT,
    plan TEXT NOT NULL,               -- JSON list of steps: lessons, and the test before/after
    step INTEGER NOT NULL DEFAULT 0,  -- the step shown now
    version INTEGER NOT NULL DEFAULT 0,  -- grows with every change phones must follow
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ended')),
    ended_utc TEXT
);

CREATE INDEX group_session_facilitator ON group_session (facilitator_id, created_utc);
