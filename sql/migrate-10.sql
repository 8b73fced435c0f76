-- Version 9 to 10 (issue 25): the calls of the voice channel, each found
-- by its client_state (sql/schema.sql says what each column is).
-- What a verification's pages offer: the ways its number may take.
ALTER TABLE verification ADD COLUMN ways INTEGER NOT NULL DEFAULT 0;
CREATE TABLE voice_call (
	state    TEXT PRIMARY KEY NOT NULL,	-- client_state: 16 random bytes, base64
	vid      TEXT NOT NULL,			-- its verification
	phone    TEXT NOT NULL,			-- E.164
	call_id  TEXT NOT NULL DEFAULT '',	-- Telnyx's call_control_id; '' not known yet
	status   TEXT NOT NULL DEFAULT 'placed',	-- the latest event's word (store_call_stage)
	stage    INTEGER NOT NULL DEFAULT 1,	-- its rank: never goes down
	cause    TEXT NOT NULL DEFAULT '',	-- call.hangup's hangup_cause, or the machine's verdict
	created  INTEGER NOT NULL,		-- Unix seconds
	updated  INTEGER NOT NULL		-- last written; for the purge
);
CREATE INDEX voice_call_vid ON voice_call (vid, created);
CREATE INDEX voice_call_call_id ON voice_call (call_id);
CREATE INDEX voice_call_phone ON voice_call (phone);
CREATE INDEX voice_call_updated ON voice_call (updated);
-- Calls are paid sends: the per-minute counts of the hourly, daily and
-- country caps count them as texts.
DROP TRIGGER send_counted;
DROP TRIGGER send_uncounted;
CREATE TRIGGER send_counted AFTER INSERT ON send WHEN NEW.channel IN ('sms', 'voice') BEGIN
	INSERT INTO send_minute (scope, minute, n) SELECT '*', NEW.at / 60, 1 WHERE 1
		ON CONFLICT (scope, minute) DO UPDATE SET n = n + 1;
	INSERT INTO send_minute (scope, minute, n) SELECT NEW.country, NEW.at / 60, 1
		WHERE NEW.country != '' ON CONFLICT (scope, minute) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER send_uncounted AFTER DELETE ON send WHEN OLD.channel IN ('sms', 'voice') BEGIN
	UPDATE send_minute SET n = n - 1 WHERE scope IN ('*', OLD.country) AND minute = OLD.at / 60;
	DELETE FROM send_minute WHERE scope IN ('*', OLD.country) AND minute = OLD.at / 60 AND n <= 0;
END;
PRAGMA user_version = 10;
