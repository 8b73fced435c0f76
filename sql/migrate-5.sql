-- Version 4 to 5 (issue 11): what Telnyx's webhooks report of each message
-- sent (its delivery, cost, carrier), and the events already taken, so
-- that one Telnyx sends again is taken once.
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
PRAGMA user_version = 5;
