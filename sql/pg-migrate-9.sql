-- Version 8 to 9, in step with sql/migrate-9.sql: the asker's network on
-- sends, verifications and wrong codes.
ALTER TABLE send ADD COLUMN net TEXT NOT NULL DEFAULT '';
CREATE INDEX send_net ON send (net, at);
ALTER TABLE verification ADD COLUMN net TEXT NOT NULL DEFAULT '';
ALTER TABLE failure ADD COLUMN net TEXT NOT NULL DEFAULT '';
UPDATE otp_schema SET version = 9;
