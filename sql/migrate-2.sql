-- Version 1 to 2: delivery webhooks find a verification by the provider's
-- message id.  Run by the programs in one exclusive transaction with the
-- other steps a file lacks; sql/schema.sql has the same index.
CREATE INDEX verification_message_id ON verification (message_id);
PRAGMA user_version = 2;
