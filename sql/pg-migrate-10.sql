-- Version 9 to 10, in step with sql/migrate-10.sql: the calls of the
-- voice channel.
-- What a verification's pages offer: the ways its number may take.
ALTER TABLE verification ADD COLUMN ways INTEGER NOT NULL DEFAULT 0;
CREATE TABLE voice_call (
	state    TEXT PRIMARY KEY NOT NULL,
	vid      TEXT NOT NULL,
	phone    TEXT NOT NULL,
	call_id  TEXT NOT NULL DEFAULT '',
	status   TEXT NOT NULL DEFAULT 'placed',
	stage    INTEGER NOT NULL DEFAULT 1,
	cause    TEXT NOT NULL DEFAULT '',
	created  BIGINT NOT NULL,
	updated  BIGINT NOT NULL
);
CREATE INDEX voice_call_vid ON voice_call (vid, created);
CREATE INDEX voice_call_call_id ON voice_call (call_id);
CREATE INDEX voice_call_phone ON voice_call (phone);
CREATE INDEX voice_call_updated ON voice_call (updated);
-- Calls are paid sends: the minute counts take them as texts.
CREATE OR REPLACE FUNCTION send_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.channel IN ('sms', 'voice') THEN
		PERFORM send_minute_count('*', OLD.at, -1);
		IF OLD.country != '' THEN
			PERFORM send_minute_count(OLD.country, OLD.at, -1);
		END IF;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.channel IN ('sms', 'voice') THEN
		PERFORM send_minute_count('*', NEW.at, 1);
		IF NEW.country != '' THEN
			PERFORM send_minute_count(NEW.country, NEW.at, 1);
		END IF;
	END IF;
	RETURN NULL;
END;
$$;
UPDATE otp_schema SET version = 10;
