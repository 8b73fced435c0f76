-- Version 7 to 8, in step with sql/migrate-8.sql, which drops SQLite's
-- trigger for updates of `send`.  Nothing changes here: PostgreSQL's
-- trigger function is parsed by the server once per connection, not by
-- each program at each start, and it keeps the counts right even for an
-- update the programs never make.
UPDATE otp_schema SET version = 8;
