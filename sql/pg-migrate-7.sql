-- Version 6 to 7, as sql/migrate-7.sql: the language of each verification.
ALTER TABLE verification ADD COLUMN lang TEXT NOT NULL DEFAULT '';
UPDATE otp_schema SET version = 7;
