-- Version 3 to 4 (issue 10): the code before the pending one, still good
-- until its own expiry (a text that arrives late still works), and the
-- number as pages show it.  Rows of version 3 have neither.
ALTER TABLE verification ADD COLUMN prev_mac BLOB NOT NULL DEFAULT X'';
ALTER TABLE verification ADD COLUMN prev_expires INTEGER NOT NULL DEFAULT 0;
-- The number as pages show it (national at home, international abroad),
-- masked; '' (rows of version 3): the masked E.164 form.
ALTER TABLE verification ADD COLUMN shown TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 4;
