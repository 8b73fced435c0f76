-- The database of request.cgi and verify.cgi.  Compiled into both programs
-- (lib/schema.h is made from this file) and run once, when the file is new;
-- PRAGMA user_version then records the schema version.

-- One row per verification: a visitor asking to prove a phone number.
-- The code itself is never stored: mac is HMAC-SHA256(SECRET_KEY, id ":" code).
CREATE TABLE verification (
	id         TEXT PRIMARY KEY NOT NULL,	-- 128 random bits, hex; the visitor's handle
	phone      TEXT NOT NULL,		-- E.164
	mac        BLOB NOT NULL,
	created    INTEGER NOT NULL,		-- Unix seconds
	expires    INTEGER NOT NULL,		-- Unix seconds; the code is dead from then on
	attempts   INTEGER NOT NULL DEFAULT 0,	-- wrong tries so far
	status     TEXT NOT NULL CHECK (status IN ('pending', 'used', 'locked', 'failed')),
	message_id TEXT NOT NULL DEFAULT ''	-- the provider's id for the SMS
);
CREATE INDEX verification_expires ON verification (expires);
CREATE INDEX verification_phone ON verification (phone);
