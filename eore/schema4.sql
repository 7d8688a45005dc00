-- Version 4: the live question of a group session. Answers are stored as
-- quiz attempts with the session's code, so they count in the quiz statistics.

ALTER TABLE group_session ADD COLUMN question TEXT;  -- question id open now, if any
ALTER TABLE group_session ADD COLUMN revealed INTEGER NOT NULL DEFAULT 0 CHECK (revealed IN (0, 1));
