-- Version 3 to 4: the code before the pending one, still good until its own
-- expiry (issue 10: a text that arrives late still works).  Rows of
-- version 3 have none.
ALTER TABLE verification ADD COLUMN prev_mac BLOB NOT NULL DEFAULT X'';
ALTER TABLE verification ADD COLUMN prev_expires INTEGER NOT NULL DEFAULT 0;
PRAGMA user_version = 4;
