-- Version 7 to 8 (issue 9): no trigger for updates of `send`, whose rows
-- are never updated.  Every program that opens the file parses every
-- trigger in it; this one cost a twentieth of a verify.cgi run
-- (callgrind), for a statement that nothing runs.
DROP TRIGGER send_recounted;
PRAGMA user_version = 8;
