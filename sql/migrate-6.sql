-- Version 5 to 6 (issue 12): what the operator's side needs.  Each send and
-- each verification keeps its destination prefix (the calling code and the
-- first digits of the national number: NANP by area code and exchange), so
-- that conversion (codes verified / codes sent) is counted per range; codes
-- verified and sends refused are kept as rows, for the breaker and for
-- otp-admin stats; blocks of prefixes (the breaker's and the operator's)
-- are in force for every program at once.  Sends and the new tables are kept
-- RETENTION_DAYS (the purge), no longer a day.
ALTER TABLE send ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE send ADD COLUMN cc TEXT NOT NULL DEFAULT '';
ALTER TABLE verification ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE verification ADD COLUMN cc TEXT NOT NULL DEFAULT '';
CREATE INDEX send_prefix ON send (prefix, at);
CREATE TABLE verified (
	at      INTEGER NOT NULL,		-- Unix seconds
	phone   TEXT NOT NULL,			-- E.164
	prefix  TEXT NOT NULL,			-- as send.prefix, '' if not known
	cc      TEXT NOT NULL,			-- the calling code ('+44'), '' if not known
	channel TEXT NOT NULL DEFAULT 'sms'
);
CREATE INDEX verified_prefix ON verified (prefix, at);
CREATE INDEX verified_at ON verified (at);
CREATE INDEX verified_phone ON verified (phone);
-- Refusals counted per minute, kind and prefix: no number is kept, and a
-- wave of refused requests adds a row a minute, not a row a request.
CREATE TABLE refusal (
	minute INTEGER NOT NULL,		-- Unix seconds / 60
	kind   TEXT NOT NULL,			-- the limit's kind: cooldown, phone, client, ...
	prefix TEXT NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (minute, kind, prefix)
) WITHOUT ROWID;
CREATE INDEX message_sent_at ON message (sent_at);
CREATE TABLE block (
	prefix  TEXT PRIMARY KEY NOT NULL,	-- '+1876', '+1202555': every number that starts so
	until   INTEGER NOT NULL,		-- Unix seconds; over then
	reason  TEXT NOT NULL,			-- 'conversion' (the breaker) or 'operator' (otp-admin)
	created INTEGER NOT NULL
);
PRAGMA user_version = 6;
