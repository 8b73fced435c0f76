-- Version 9 to 10 (issue 25): the calls of the voice channel, each found
-- by its client_state (sql/schema.sql says what each column is).
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
PRAGMA user_version = 10;
