-- The same database as sql/schema.sql, for PostgreSQL (DATABASE_URL): the
-- same tables and columns, times as BIGINT Unix seconds, hashes as BYTEA.
-- Compiled into the programs (lib/store_schema.h) and run once, by the first
-- program to find no otp_schema table, under a transaction-level advisory
-- lock, so that of many first requests on many machines one makes it.
-- The tables go into the first schema of the connection's search_path.
--
-- This is always the whole latest schema, at the version of the SQLite one
-- it mirrors; a later change is also written as one step,
-- sql/pg-migrate-N.sql, run in the same lock by the first program that
-- finds an older version.  Keep the two engines' schemas in step.

CREATE TABLE verification (
	id           TEXT PRIMARY KEY NOT NULL,
	phone        TEXT NOT NULL,
	mac          BYTEA NOT NULL,
	created      BIGINT NOT NULL,
	expires      BIGINT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	status       TEXT NOT NULL CHECK (status IN ('pending', 'used', 'locked', 'failed')),
	message_id   TEXT NOT NULL DEFAULT '',
	return_to    TEXT NOT NULL DEFAULT '',
	prev_mac     BYTEA NOT NULL DEFAULT '',
	prev_expires BIGINT NOT NULL DEFAULT 0,
	shown        TEXT NOT NULL DEFAULT '',
	channel      TEXT NOT NULL DEFAULT 'sms',
	approved_at  BIGINT NOT NULL DEFAULT 0,
	prefix       TEXT NOT NULL DEFAULT '',
	cc           TEXT NOT NULL DEFAULT '',
	seq          BIGSERIAL NOT NULL,	-- the order rows were made, as SQLite's rowid
	lang         TEXT NOT NULL DEFAULT '',
	net          TEXT NOT NULL DEFAULT '',
	ways         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX verification_expires ON verification (expires);
CREATE INDEX verification_phone ON verification (phone);
CREATE INDEX verification_message_id ON verification (message_id);

-- A row id stands in for SQLite's rowid (here, and in failure and
-- verified): the purges delete by it.
CREATE TABLE send (
	id      BIGSERIAL PRIMARY KEY,
	at      BIGINT NOT NULL,
	phone   TEXT NOT NULL,
	client  TEXT NOT NULL,
	country TEXT NOT NULL,
	channel TEXT NOT NULL DEFAULT 'sms',
	prefix  TEXT NOT NULL DEFAULT '',
	cc      TEXT NOT NULL DEFAULT '',
	net     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX send_at ON send (at);
CREATE INDEX send_phone ON send (phone, at);
CREATE INDEX send_client ON send (client, at);
CREATE INDEX send_prefix ON send (prefix, at);
CREATE INDEX send_net ON send (net, at);

-- Texts sent per minute, kept by the trigger below in the transaction that
-- changes send (sql/schema.sql says why).
CREATE TABLE send_minute (
	scope  TEXT NOT NULL,
	minute BIGINT NOT NULL,
	n      BIGINT NOT NULL,
	PRIMARY KEY (scope, minute)
);
CREATE FUNCTION send_minute_count(scope TEXT, at BIGINT, delta INTEGER) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO send_minute AS m (scope, minute, n) VALUES (scope, at / 60, delta)
		ON CONFLICT (scope, minute) DO UPDATE SET n = m.n + delta;
	DELETE FROM send_minute m WHERE m.scope = send_minute_count.scope
		AND m.minute = at / 60 AND m.n <= 0;
$$;
CREATE FUNCTION send_counted() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER send_counted AFTER INSERT OR DELETE OR UPDATE OF at, country, channel ON send
	FOR EACH ROW EXECUTE FUNCTION send_counted();

CREATE TABLE failure (
	id    BIGSERIAL PRIMARY KEY,
	at    BIGINT NOT NULL,
	phone TEXT NOT NULL,
	net   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX failure_phone ON failure (phone, at);
CREATE INDEX failure_at ON failure (at);

CREATE TABLE assertion_used (
	vid TEXT PRIMARY KEY NOT NULL,
	at  BIGINT NOT NULL
);
CREATE INDEX assertion_used_at ON assertion_used (at);

CREATE TABLE message (
	id          TEXT PRIMARY KEY NOT NULL,
	vid         TEXT NOT NULL DEFAULT '',
	phone       TEXT NOT NULL DEFAULT '',
	sent_at     BIGINT NOT NULL DEFAULT 0,
	status      TEXT NOT NULL DEFAULT '',
	stage       INTEGER NOT NULL DEFAULT 0,
	error_code  TEXT NOT NULL DEFAULT '',
	cost_micros BIGINT,
	currency    TEXT NOT NULL DEFAULT '',
	parts       INTEGER NOT NULL DEFAULT 0,
	carrier     TEXT NOT NULL DEFAULT '',
	line_type   TEXT NOT NULL DEFAULT '',
	updated     BIGINT NOT NULL
);
CREATE INDEX message_phone ON message (phone, sent_at);
CREATE INDEX message_updated ON message (updated);
CREATE INDEX message_sent_at ON message (sent_at);
CREATE TABLE webhook_event (
	id TEXT PRIMARY KEY NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX webhook_event_at ON webhook_event (at);

CREATE TABLE verified (
	id      BIGSERIAL PRIMARY KEY,
	at      BIGINT NOT NULL,
	phone   TEXT NOT NULL,
	prefix  TEXT NOT NULL,
	cc      TEXT NOT NULL,
	channel TEXT NOT NULL DEFAULT 'sms'
);
CREATE INDEX verified_prefix ON verified (prefix, at);
CREATE INDEX verified_at ON verified (at);
CREATE INDEX verified_phone ON verified (phone);
CREATE TABLE refusal (
	minute BIGINT NOT NULL,
	kind   TEXT NOT NULL,
	prefix TEXT NOT NULL,
	n      BIGINT NOT NULL,
	PRIMARY KEY (minute, kind, prefix)
);
CREATE TABLE block (
	prefix  TEXT PRIMARY KEY NOT NULL,
	until   BIGINT NOT NULL,
	reason  TEXT NOT NULL,
	created BIGINT NOT NULL
);
-- Calls (issue 25): as sql/schema.sql's.
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

-- The version of this schema, as SQLite's PRAGMA user_version: a program
-- refuses a database newer than itself.
CREATE TABLE otp_schema (version INTEGER NOT NULL);
INSERT INTO otp_schema (version) VALUES (10);
