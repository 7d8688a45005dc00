-- Version 6: community hazard reports with their history, and referrals to
-- services logged during sessions (anonymous: only the kind of service).

CREATE TABLE hazard_report (
    id TEXT PRIMARY KEY,              -- UUID, given to the form when it is shown: a resent form is one report
    device TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    reference TEXT NOT NULL UNIQUE,   -- shown to the person who reported, e.g. H-7KQ3-X9MP
    locale TEXT NOT NULL,
    seen_on TEXT,                     -- date seen (YYYY-MM-DD); NULL when not known
    item TEXT NOT NULL CHECK (item IN ('mine', 'uxo', 'cluster_submunition', 'ied', 'unknown')),
    how_many TEXT NOT NULL CHECK (how_many IN ('one', 'few', 'many', 'unknown')),
    description TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL DEFAULT '',
    admin_area TEXT,                  -- place code of one of the pack's areas
    geo_safe INTEGER NOT NULL DEFAULT 0 CHECK (geo_safe IN (0, 1)),
    latitude REAL CHECK (latitude BETWEEN -90 AND 90),     -- WGS84, only when geo_safe
    longitude REAL CHECK (longitude BETWEEN -180 AND 180),
    marked TEXT NOT NULL CHECK (marked IN ('no', 'official', 'informal', 'unknown')),
    nearby TEXT NOT NULL DEFAULT '',  -- space-separated: home school road farmland water
    hurt TEXT NOT NULL CHECK (hurt IN ('no', 'yes', 'unknown')),
    urgent INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),  -- someone hurt, or near a school
    contact_consent INTEGER NOT NULL DEFAULT 0 CHECK (contact_consent IN (0, 1)),
    contact_name TEXT,
    contact_phone TEXT,
    contact_purged_utc TEXT,          -- when the contact was deleted, once it was kept long enough
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'forwarded', 'verified', 'closed')),
    status_by TEXT REFERENCES account (id),
    status_utc TEXT,
    CHECK (geo_safe = 1 OR (latitude IS NULL AND longitude IS NULL)),
    CHECK (contact_consent = 1 OR (contact_name IS NULL AND contact_phone IS NULL))
);

CREATE INDEX hazard_report_inbox ON hazard_report (urgent DESC, created_utc DESC);

-- Every change of status and every note, with who and when.
CREATE TABLE hazard_event (
    id TEXT PRIMARY KEY,              -- UUID
    device TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    report_id TEXT NOT NULL REFERENCES hazard_report (id),
    account_id TEXT NOT NULL REFERENCES account (id),
    from_status TEXT,
    to_status TEXT,                   -- NULL for a note alone
    note TEXT NOT NULL DEFAULT ''
);

CREATE INDEX hazard_event_report ON hazard_event (report_id, created_utc);

CREATE TABLE referral (
    id TEXT PRIMARY KEY,              -- UUID
    device TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES group_session (id),
    service_type TEXT NOT NULL,       -- medical, rehabilitation, psychosocial, livelihoods, legal, other
    day TEXT NOT NULL                 -- YYYY-MM-DD
);

CREATE INDEX referral_session ON referral (session_id);

-- Session reports counted referrals by hand until now: keep each as a referral
-- of kind 'other' on the report's date, since they are now counted from the log.
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO referral (id, device, created_utc, session_id, service_type, day)
SELECT
    lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
        || substr(lower(hex(randomblob(2))), 2) || '-a'
        || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
    r.device, r.updated_utc, r.session_id, 'other',
    coalesce(nullif(json_extract(r.fields, '$.date'), ''), substr(r.created_utc, 1, 10))
FROM session_report r JOIN n ON n.i <= json_extract(r.fields, '$.referrals')
WHERE json_type(r.fields, '$.referrals') = 'integer';
UPDATE session_report SET fields = json_remove(fields, '$.referrals');
