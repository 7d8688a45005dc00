-- Version 2: accounts of facilitators and admins, and failed logins (to slow guessing).
-- Participants never have an account.

CREATE TABLE account (
    id TEXT PRIMARY KEY,              -- UUID
    device TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('facilitator', 'admin')),
    password_hash TEXT NOT NULL,      -- scrypt, from werkzeug.security
    password_changed_utc TEXT NOT NULL,  -- a change signs out every open session
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

-- One failed login: by the name tried and the address it came from. Kept a day.
CREATE TABLE login_failure (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE,
    address TEXT NOT NULL,
    at_utc TEXT NOT NULL
);

CREATE INDEX login_failure_name ON login_failure (name, at_utc);
CREATE INDEX login_failure_address ON login_failure (address, at_utc);
