-- Version 2 to 3: the sends of a window counted per minute (send_minute,
-- kept by triggers on send), so that the hourly, daily and per-country
-- caps cost the same however many codes went out; send_country, which
-- those counts read, is no longer needed.  Run by the programs in one
-- exclusive transaction with the other steps a file lacks; sql/schema.sql
-- has the same table and triggers.
-- Sends counted per minute, for the limits that count every send of a window
-- (all sends per hour and per day, a country's per hour): such a count reads
-- at most a day's minutes (1,440 rows) whatever the volume, where counting
-- `send` read every row of the window.  Kept by the triggers below in the
-- transaction that changes `send`, so the two never disagree.
CREATE TABLE send_minute (
	scope  TEXT NOT NULL,		-- '*' for all sends, else the calling code ('+44')
	minute INTEGER NOT NULL,	-- Unix seconds / 60
	n      INTEGER NOT NULL,
	PRIMARY KEY (scope, minute)
) WITHOUT ROWID;
CREATE TRIGGER send_counted AFTER INSERT ON send BEGIN
	INSERT INTO send_minute (scope, minute, n) SELECT '*', NEW.at / 60, 1 WHERE 1
		ON CONFLICT (scope, minute) DO UPDATE SET n = n + 1;
	INSERT INTO send_minute (scope, minute, n) SELECT NEW.country, NEW.at / 60, 1
		WHERE NEW.country != '' ON CONFLICT (scope, minute) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER send_uncounted AFTER DELETE ON send BEGIN
	UPDATE send_minute SET n = n - 1 WHERE scope IN ('*', OLD.country) AND minute = OLD.at / 60;
	DELETE FROM send_minute WHERE scope IN ('*', OLD.country) AND minute = OLD.at / 60 AND n <= 0;
END;
CREATE TRIGGER send_recounted AFTER UPDATE OF at, country ON send BEGIN
	UPDATE send_minute SET n = n - 1 WHERE scope IN ('*', OLD.country) AND minute = OLD.at / 60;
	DELETE FROM send_minute WHERE scope IN ('*', OLD.country) AND minute = OLD.at / 60 AND n <= 0;
	INSERT INTO send_minute (scope, minute, n) SELECT '*', NEW.at / 60, 1 WHERE 1
		ON CONFLICT (scope, minute) DO UPDATE SET n = n + 1;
	INSERT INTO send_minute (scope, minute, n) SELECT NEW.country, NEW.at / 60, 1
		WHERE NEW.country != '' ON CONFLICT (scope, minute) DO UPDATE SET n = n + 1;
END;
INSERT INTO send_minute (scope, minute, n) SELECT '*', at / 60, count(*) FROM send GROUP BY at / 60;
INSERT INTO send_minute (scope, minute, n)
	SELECT country, at / 60, count(*) FROM send WHERE country != '' GROUP BY country, at / 60;
DROP INDEX send_country;
PRAGMA user_version = 3;
