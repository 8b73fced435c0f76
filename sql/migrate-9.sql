-- Version 8 to 9 (issue 23): the asker's network on sends, verifications
-- and wrong codes, so that one network's abuse of a number is counted
-- apart from the others'; a send the provider refused is kept as
-- 'refused' (a value of channel, no change of table).  Rows from before
-- have no network (''): counted as one network of their own until they
-- leave their windows.
ALTER TABLE send ADD COLUMN net TEXT NOT NULL DEFAULT '';
CREATE INDEX send_net ON send (net, at);
ALTER TABLE verification ADD COLUMN net TEXT NOT NULL DEFAULT '';
ALTER TABLE failure ADD COLUMN net TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 9;
