-- Version 4 to 5 (issue 11): what Telnyx's webhooks report of each message
-- sent (its delivery, cost, carrier), and the events already taken, so
-- that one Telnyx sends again is taken once; verification by an inbound
-- text (the visitor texts the code to INBOUND_NUMBER), whose starts count
-- against the per-number and per-client limits but not against the caps on
-- what is paid for (send_minute counts texts sent only).
ALTER TABLE verification ADD COLUMN channel TEXT NOT NULL DEFAULT 'sms';
ALTER TABLE verification ADD COLUMN approved_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE send ADD COLUMN channel TEXT NOT NULL DEFAULT 'sms';
DROP TRIGGER send_counted;
DROP TRIGGER send_uncounted;
DROP TRIGGER send_recounted;
CREATE TRIGGER send_counted AFTER INSERT ON send WHEN NEW.channel = 'sms' BEGIN
	INSERT INTO send_minute (scope, minute, n) SELECT '*', NEW.at / 60, 1 WHERE 1
		ON CONFLICT (scope, minute) DO UPDATE SET n = n + 1;
	INSERT INTO send_minute (scope, minute, n) SELECT NEW.country, NEW.at / 60, 1
		WHERE NEW.country != '' ON CONFLICT (scope, minute) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER send_uncounted AFTER DELETE ON send WHEN OLD.channel = 'sms' BEGIN
	UPDATE send_minute SET n = n - 1 WHERE scope IN ('*', OLD.country) AND minute = OLD.at / 60;
	DELETE FROM send_minute WHERE scope IN ('*', OLD.country) AND minute = OLD.at / 60 AND n <= 0;
END;
CREATE TRIGGER send_recounted AFTER UPDATE OF at, country ON send WHEN OLD.channel = 'sms' BEGIN
	UPDATE send_minute SET n = n - 1 WHERE scope IN ('*', OLD.country) AND minute = OLD.at / 60;
	DELETE FROM send_minute WHERE scope IN ('*', OLD.country) AND minute = OLD.at / 60 AND n <= 0;
	INSERT INTO send_minute (scope, minute, n) SELECT '*', NEW.at / 60, 1 WHERE 1
		ON CONFLICT (scope, minute) DO UPDATE SET n = n + 1;
	INSERT INTO send_minute (scope, minute, n) SELECT NEW.country, NEW.at / 60, 1
		WHERE NEW.country != '' ON CONFLICT (scope, minute) DO UPDATE SET n = n + 1;
END;
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
