-- The database of request.cgi and verify.cgi.  Compiled into both programs
-- (lib/store_schema.h is made from this file) and run once, when a new file is
-- made; the last line records its version in PRAGMA user_version.
--
-- This is always the whole latest schema.  A change is also written as one
-- step, sql/migrate-N.sql, that takes a file of version N-1 to N; the
-- programs run the steps a file lacks when they first open it.

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
	message_id TEXT NOT NULL DEFAULT '',	-- the provider's id for the SMS
	return_to  TEXT NOT NULL DEFAULT '',	-- where the site wants the visitor back
	-- The code before mac, still good until prev_expires (0: none), so that
	-- a text that arrives after the visitor asked for another still works.
	prev_mac     BLOB NOT NULL DEFAULT X'',
	prev_expires INTEGER NOT NULL DEFAULT 0,
	shown        TEXT NOT NULL DEFAULT '',	-- the number as pages show it, masked
	channel      TEXT NOT NULL DEFAULT 'sms',	-- 'sms': the code was sent; 'inbound': shown, to be texted back
	approved_at  INTEGER NOT NULL DEFAULT 0,	-- inbound: when the visitor's text came; 0 not yet
	prefix       TEXT NOT NULL DEFAULT '',	-- as send.prefix, for the codes verified
	cc           TEXT NOT NULL DEFAULT '',	-- as send.cc
	lang         TEXT NOT NULL DEFAULT '',	-- the visitor's language (LANGUAGES), '' if not known
	net          TEXT NOT NULL DEFAULT ''	-- the asker's network (limit_net_key()): its wrong tries count there
);
CREATE INDEX verification_expires ON verification (expires);
CREATE INDEX verification_phone ON verification (phone);
CREATE INDEX verification_message_id ON verification (message_id);	-- webhooks look up by it

-- One row per code sent (or tried), for the send limits: per phone and
-- network, per phone, per client address (IPv6 per /64), per country code,
-- per hour and per day, per destination prefix (conversion); and for
-- otp-admin stats.  Rows older than RETENTION_DAYS are purged.
CREATE TABLE send (
	at      INTEGER NOT NULL,	-- Unix seconds
	phone   TEXT NOT NULL,
	client  TEXT NOT NULL,
	country TEXT NOT NULL,		-- the calling code the phone matched, or ''
	-- 'sms': a text sent (or being sent); 'voice': a call placed; 'refused',
	-- 'refused_call': a text, a call the provider refused, nothing sent or
	-- paid (counted for the asker's limits only, each in its own cooldown);
	-- 'inbound': a code shown to be texted back, nothing sent or paid.
	channel TEXT NOT NULL DEFAULT 'sms',
	prefix  TEXT NOT NULL DEFAULT '',	-- the destination range ('+1202555', '+447911')
	cc      TEXT NOT NULL DEFAULT '',	-- the number's calling code ('+44')
	net     TEXT NOT NULL DEFAULT ''	-- the asker's network: IPv4 /24, IPv6 /48 (limit_net_key())
);
CREATE INDEX send_at ON send (at);
CREATE INDEX send_phone ON send (phone, at);
CREATE INDEX send_client ON send (client, at);
CREATE INDEX send_prefix ON send (prefix, at);
CREATE INDEX send_net ON send (net, at);	-- NETWORK_SEND_LIMIT

-- Texts sent counted per minute, for the limits that count every send of a window
-- (all sends per hour and per day, a country's per hour): such a count reads
-- at most a day's minutes (1,440 rows) whatever the volume, where counting
-- `send` read every row of the window.  Kept by the triggers below in the
-- transaction that adds or deletes rows of `send`, so the two never disagree.
-- A row of `send` is never updated: an update of its at, country or channel
-- would have to move its count too, and a trigger that did so cost every
-- program that opens this file a twentieth of its instructions (SQLite
-- parses the whole schema at each open), for an update nothing makes.
CREATE TABLE send_minute (
	scope  TEXT NOT NULL,		-- '*' for all sends, else the calling code ('+44')
	minute INTEGER NOT NULL,	-- Unix seconds / 60
	n      INTEGER NOT NULL,
	PRIMARY KEY (scope, minute)
) WITHOUT ROWID;
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

-- One row per wrong code, for the limits on guesses per phone and network
-- and per phone.  Rows older than an hour are purged.
CREATE TABLE failure (
	at    INTEGER NOT NULL,
	phone TEXT NOT NULL,
	net   TEXT NOT NULL DEFAULT ''	-- the network of the verification's asker
);
CREATE INDEX failure_phone ON failure (phone, at);
CREATE INDEX failure_at ON failure (at);			-- for the purge

-- Assertions otp-assertion has accepted, so that each is accepted once.
-- Rows older than a day (far past RESULT_MAX_AGE) are purged.
CREATE TABLE assertion_used (
	vid TEXT PRIMARY KEY NOT NULL,
	at  INTEGER NOT NULL
);
CREATE INDEX assertion_used_at ON assertion_used (at);	-- for the purge

-- One row per message sent, with what Telnyx's webhooks reported of it
-- (delivery, cost, carrier), and the webhook events already taken, so that
-- an event Telnyx sends again is taken once.  Rows older than a day are
-- purged.
CREATE TABLE message (
	id          TEXT PRIMARY KEY NOT NULL,	-- Telnyx's message id
	vid         TEXT NOT NULL DEFAULT '',	-- its verification; '' until request.cgi records it
	phone       TEXT NOT NULL DEFAULT '',	-- E.164
	sent_at     INTEGER NOT NULL DEFAULT 0,	-- Unix seconds; 0 until request.cgi records it
	status      TEXT NOT NULL DEFAULT '',	-- the latest to[0].status reported; '' none yet
	stage       INTEGER NOT NULL DEFAULT 0,	-- its rank (1 queued ... 4 final): never goes down
	error_code  TEXT NOT NULL DEFAULT '',	-- errors[0].code of that report
	cost_micros INTEGER,			-- cost.amount in millionths; NULL: none reported
	currency    TEXT NOT NULL DEFAULT '',
	parts       INTEGER NOT NULL DEFAULT 0,
	carrier     TEXT NOT NULL DEFAULT '',
	line_type   TEXT NOT NULL DEFAULT '',
	updated     INTEGER NOT NULL		-- Unix seconds, last written; for the purge
);
CREATE INDEX message_phone ON message (phone, sent_at);
CREATE INDEX message_updated ON message (updated);
CREATE TABLE webhook_event (
	id TEXT PRIMARY KEY NOT NULL,		-- data.id
	at INTEGER NOT NULL
);
CREATE INDEX webhook_event_at ON webhook_event (at);

-- Codes verified (conversion, stats), sends refused by a limit (stats), and
-- blocked prefixes (the conversion breaker's, the operator's).  Rows older
-- than RETENTION_DAYS are purged; blocks when they are over.
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

-- One row per call placed (CHANNELS=voice, issue 25): what ties Telnyx's
-- call events to their verification, and how far the call got.  An event
-- is found by its client_state, a random token made for this call alone
-- (not derived from anything: it says nothing, and an event of an earlier
-- call of the same verification finds that call, not this one); its
-- call_control_id is kept once POST /v2/calls answered (or the first event
-- told it) and never replaced.  stage only goes up: a duplicate or late
-- event changes nothing.  Rows go with the messages (a day, or
-- RETENTION_DAYS).
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

-- The version of this schema; the step to it is sql/migrate-10.sql.
PRAGMA user_version = 10;
