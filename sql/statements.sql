-- The SQLite engine's statements (lib/store_sqlite.c): what the front
-- (lib/store_ops.c) runs, each by its name in enum store_stmt
-- (lib/store_engine.h), with its arguments as ?1, ?2, ... in the order
-- the enum says.  make compiles this file into lib/store_schema.h, one C
-- string a statement: a line "-- name: X" starts statement STMT_X, and
-- the other comment lines are left out.  sql/pg-statements.sql holds the
-- same statements for PostgreSQL.

-- name: GET
-- The verification ?1, with the latest status Telnyx reported of its
-- message: the columns the front reads into struct verification
-- (lib/store_ops.c), in this order.
SELECT v.phone, v.mac, v.created, v.expires, v.attempts, v.status, v.message_id,
	v.return_to, v.prev_mac, v.prev_expires, v.shown, coalesce(m.status, ''), v.channel,
	v.approved_at, v.id, v.prefix, v.cc, v.lang, v.net, v.ways
	FROM verification v
	LEFT JOIN message m ON v.message_id != '' AND m.id = v.message_id
	WHERE v.id = ?1;

-- name: INBOUND_LIVE
-- The same columns ('' for the status): the live inbound codes of the
-- number ?1 at ?2, the newest first, at most ?3.
SELECT v.phone, v.mac, v.created, v.expires, v.attempts, v.status, v.message_id,
	v.return_to, v.prev_mac, v.prev_expires, v.shown, '', v.channel, v.approved_at,
	v.id, v.prefix, v.cc, v.lang, v.net, v.ways
	FROM verification v
	WHERE v.phone = ?1 AND v.channel = 'inbound' AND v.status = 'pending'
		AND v.expires > ?2 AND v.approved_at = 0
	ORDER BY v.created DESC, v.rowid DESC LIMIT ?3;

-- name: PUT
-- Insert or replace the verification: its 19 columns, in the order of
-- the list.
INSERT INTO verification (id, phone, mac, created, expires, attempts, status, message_id,
	return_to, prev_mac, prev_expires, shown, channel, approved_at, prefix, cc, lang,
	net, ways)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
		?18, ?19)
	ON CONFLICT (id) DO UPDATE SET
		phone = ?2, mac = ?3, created = ?4, expires = ?5, attempts = ?6,
		status = ?7, message_id = ?8, return_to = ?9, prev_mac = ?10,
		prev_expires = ?11, shown = ?12, channel = ?13, approved_at = ?14,
		prefix = ?15, cc = ?16, lang = ?17, net = ?18, ways = ?19;

-- name: SET_MESSAGE_ID
-- ?1 the verification, ?2 the provider's message id.
UPDATE verification
	SET message_id = ?2
	WHERE id = ?1;

-- name: FAIL
-- The code ?2 of verification ?1 was not sent, at ?3.  Every right-hand
-- side reads the row as it was.
UPDATE verification
	SET status = CASE WHEN prev_expires > ?3 THEN 'pending' ELSE 'failed' END,
		mac = CASE WHEN prev_expires > ?3 THEN prev_mac ELSE mac END,
		expires = CASE WHEN prev_expires > ?3 THEN prev_expires ELSE expires END,
		prev_mac = X'', prev_expires = 0
	WHERE id = ?1 AND mac = ?2 AND status = 'pending';

-- name: FAIL_PREV
-- ... or, a newer code having come meanwhile, the one before it.
UPDATE verification
	SET prev_mac = X'', prev_expires = 0
	WHERE id = ?1 AND prev_mac = ?2;

-- name: PHONE_ATTEMPTS
-- The most wrong tries of a live code of the number ?1 at ?2 asked from
-- the network ?3 (codes that failed to send too), and its latest expiry.
SELECT max(attempts), max(expires)
	FROM verification
	WHERE phone = ?1 AND status != 'used' AND expires > ?2 AND net = ?3;

-- name: MARK_ASSERTION
-- Keys taken once (this and EVENT_NEW): ?1 the key, ?2 now.
INSERT INTO assertion_used (vid, at)
	VALUES (?1, ?2)
	ON CONFLICT (vid) DO NOTHING;

-- name: ADD_MESSAGE
-- ?1 the message id, ?2 the verification, ?3 the number, ?4 now.  A
-- webhook may have come first: then the row is there, without its send.
INSERT INTO message (id, vid, phone, sent_at, updated)
	VALUES (?1, ?2, ?3, ?4, ?4)
	ON CONFLICT (id) DO UPDATE SET vid = ?2, phone = ?3, sent_at = ?4;

-- name: RECEIPT
-- What a webhook reported (struct store_receipt; ?6 NULL: no cost), ?11
-- now.  Every right-hand side reads the row as it was: the state and what
-- goes with it only from a report of a later stage, the cost from the
-- latest that has one, what does not change (carrier, parts) once.
INSERT INTO message (id, phone, status, stage, error_code, cost_micros, currency, parts,
	carrier, line_type, updated)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
	ON CONFLICT (id) DO UPDATE SET
		status = CASE WHEN ?4 > stage THEN ?3 ELSE status END,
		error_code = CASE WHEN ?4 > stage THEN ?5 ELSE error_code END,
		cost_micros = CASE WHEN ?6 IS NOT NULL AND (?4 >= stage OR cost_micros IS NULL)
			THEN ?6 ELSE cost_micros END,
		currency = CASE WHEN ?6 IS NOT NULL AND (?4 >= stage OR cost_micros IS NULL)
			THEN ?7 ELSE currency END,
		parts = CASE WHEN parts = 0 THEN ?8 ELSE parts END,
		carrier = CASE WHEN carrier = '' THEN ?9 ELSE carrier END,
		line_type = CASE WHEN line_type = '' THEN ?10 ELSE line_type END,
		phone = CASE WHEN phone = '' THEN ?2 ELSE phone END,
		stage = max(stage, ?4), updated = ?11;

-- name: EVENT_NEW
INSERT INTO webhook_event (id, at)
	VALUES (?1, ?2)
	ON CONFLICT (id) DO NOTHING;

-- name: CALL_ADD
-- A call placed (issue 25): ?1 its client_state, ?2 the verification, ?3
-- the number, ?4 now.  A token is made for one call: a second is an error.
INSERT INTO voice_call (state, vid, phone, created, updated)
	VALUES (?1, ?2, ?3, ?4, ?4);

-- name: CALL_SET_ID
-- ?1 the client_state, ?2 Telnyx's call_control_id, ?3 now: kept once,
-- never replaced by another (an event cannot move a call to its own).
UPDATE voice_call SET call_id = ?2, updated = ?3
	WHERE state = ?1 AND call_id IN ('', ?2);

-- name: CALL_FIND
-- ?1 the client_state: the call's columns (struct store_call).
SELECT state, vid, phone, call_id, status, stage, cause, created, updated
	FROM voice_call
	WHERE state = ?1;

-- name: CALL_STAGE
-- ?1 the client_state, ?2 the status, ?3 its stage, ?4 the cause, ?5 now:
-- only forward, so that a duplicate or an event out of order changes
-- nothing (the rows changed say which it was).  A machine's verdict
-- (machine, not_sure) stays the cause when the call then hangs up: it is
-- what the visitor is told became of the call.
UPDATE voice_call SET status = ?2, stage = ?3, updated = ?5,
		cause = CASE WHEN cause IN ('machine', 'not_sure') THEN cause ELSE ?4 END
	WHERE state = ?1 AND stage < ?3;

-- name: CALL_LATEST
-- ?1 the verification: its latest call's columns (as CALL_FIND's).
SELECT state, vid, phone, call_id, status, stage, cause, created, updated
	FROM voice_call
	WHERE vid = ?1
	ORDER BY created DESC, rowid DESC LIMIT 1;

-- name: COUNT_TEXTS
-- The counts of the limits (store_count()): ?1 since, ?2 the key, ?3 the
-- network (the _NET_ ones); each the rows and the oldest of them.  "Texts"
-- are the sends that reach a phone and are paid: texts and calls alike.
SELECT count(*), min(at)
	FROM send
	WHERE phone = ?2 AND at > ?1 AND channel IN ('sms', 'voice');

-- name: COUNT_NET_TEXTS
SELECT count(*), min(at)
	FROM send
	WHERE phone = ?2 AND at > ?1 AND channel IN ('sms', 'voice', 'refused', 'refused_call')
		AND net = ?3;

-- name: COUNT_NET_SMS
-- A text's cooldown: the texts (and refused sends) of the network.
SELECT count(*), min(at)
	FROM send
	WHERE phone = ?2 AND at > ?1 AND channel IN ('sms', 'refused') AND net = ?3;

-- name: COUNT_CALLS
-- The calls a number got, whoever asked (VOICE_PHONE_LIMIT).
SELECT count(*), min(at)
	FROM send
	WHERE phone = ?2 AND at > ?1 AND channel = 'voice';

-- name: COUNT_NET_CALLS
-- The calls of the network (its share of VOICE_PHONE_LIMIT).
SELECT count(*), min(at)
	FROM send
	WHERE phone = ?2 AND at > ?1 AND channel = 'voice' AND net = ?3;

-- name: COUNT_NET_CALL_TRIES
-- A call's cooldown: the calls and refused calls of the network.
SELECT count(*), min(at)
	FROM send
	WHERE phone = ?2 AND at > ?1 AND channel IN ('voice', 'refused_call') AND net = ?3;

-- name: COUNT_INBOUND
SELECT count(*), min(at)
	FROM send
	WHERE phone = ?2 AND at > ?1 AND channel = 'inbound';

-- name: COUNT_NET_INBOUND
SELECT count(*), min(at)
	FROM send
	WHERE phone = ?2 AND at > ?1 AND channel = 'inbound' AND net = ?3;

-- name: COUNT_CLIENT
SELECT count(*), min(at)
	FROM send
	WHERE client = ?2 AND at > ?1 AND channel != 'inbound';

-- name: COUNT_CLIENT_INBOUND
SELECT count(*), min(at)
	FROM send
	WHERE client = ?2 AND at > ?1 AND channel = 'inbound';

-- name: COUNT_NET_UNVERIFIED
-- A text is verified when its number was, by text, at or after it.
SELECT count(*), min(at)
	FROM send s
	WHERE s.net = ?2 AND s.at > ?1 AND s.channel IN ('sms', 'voice', 'refused', 'refused_call')
		AND NOT EXISTS (SELECT 1 FROM verified v WHERE v.phone = s.phone
		AND v.at >= s.at AND v.channel IN ('sms', 'voice'));

-- name: COUNT_COUNTRY
-- Whole minutes: the minute of ?1 is left out, the current one counted.
SELECT coalesce(sum(n), 0), min(minute) * 60
	FROM send_minute
	WHERE scope = ?2 AND minute > ?1 / 60;

-- name: COUNT_ALL
SELECT coalesce(sum(n), 0), min(minute) * 60
	FROM send_minute
	WHERE scope = '*' AND minute > ?1 / 60;

-- name: COUNT_FAILURES
SELECT count(*), min(at)
	FROM failure
	WHERE phone = ?2 AND at > ?1;

-- name: COUNT_NET_FAILURES
SELECT count(*), min(at)
	FROM failure
	WHERE phone = ?2 AND at > ?1 AND net = ?3;

-- name: ADD_SEND
-- ?1 now, then struct store_send's (the channel 'sms', 'voice' or 'inbound').
INSERT INTO send (at, phone, client, country, channel, prefix, cc, net)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8);

-- name: ADD_FAILURE
-- ?1 now, ?2 the number, ?3 the network.
INSERT INTO failure (at, phone, net)
	VALUES (?1, ?2, ?3);

-- name: UNSEND
-- A text or call refused (?1 when, ?2 the number, ?3 the client, ?4 its
-- channel, 'sms' or 'voice'): a copy as 'refused' (a text) or
-- 'refused_call', then (UNSEND_DROP) the send goes, with its counts (the
-- trigger send_uncounted).  Of several rows of that channel, which is
-- taken does not matter; a text of the same second is not the call.
INSERT INTO send (at, phone, client, country, channel, prefix, cc, net)
	SELECT at, phone, client, country,
		CASE ?4 WHEN 'voice' THEN 'refused_call' ELSE 'refused' END, prefix, cc, net
	FROM send
	WHERE rowid = (SELECT rowid FROM send WHERE phone = ?2 AND at = ?1 AND client = ?3
		AND channel = ?4 LIMIT 1);

-- name: UNSEND_DROP
DELETE FROM send
	WHERE rowid = (SELECT rowid FROM send WHERE phone = ?2 AND at = ?1 AND client = ?3
		AND channel = ?4 LIMIT 1);

-- name: ADD_VERIFIED
-- ?1 now, ?2 the number, ?3 its prefix, ?4 its calling code, ?5 the channel.
INSERT INTO verified (at, phone, prefix, cc, channel)
	VALUES (?1, ?2, ?3, ?4, ?5);

-- name: ADD_REFUSAL
-- ?1 now, ?2 the limit's kind, ?3 the prefix: counted per minute.
INSERT INTO refusal (minute, kind, prefix, n)
	VALUES (?1 / 60, ?2, ?3, 1)
	ON CONFLICT (minute, kind, prefix) DO UPDATE SET n = n + 1;

-- name: CONVERSION
-- ?1 prefix, ?2 since, ?3 mature: struct store_conversion's five.  Texts
-- and calls on both sides: inbound approvals cost nothing and prove no send.
SELECT coalesce(sum(at <= ?3), 0), coalesce(sum(at <= ?3 AND ok), 0),
	count(DISTINCT CASE WHEN at <= ?3 AND NOT ok THEN net END),
	coalesce(sum(at > ?3 AND NOT ok), 0),
	count(DISTINCT CASE WHEN at > ?3 AND NOT ok THEN net END)
	FROM (SELECT s.at, s.net, EXISTS (SELECT 1 FROM verified v WHERE v.phone = s.phone
			AND v.at >= s.at AND v.channel IN ('sms', 'voice')) AS ok
		FROM send s
		WHERE s.prefix = ?1 AND s.at > ?2 AND s.channel IN ('sms', 'voice'));

-- name: LIFTED
-- When the operator last lifted a block of the prefix ?1 (0: never).
SELECT coalesce(max(created), 0)
	FROM block
	WHERE prefix = ?1 AND reason = 'lifted';

-- name: SPEND
-- Texts sent after ?1, those of them whose cost came in the currency ?2,
-- those costs, and the calls placed (estimated each: no cost is reported).
SELECT (SELECT count(*) FROM send WHERE at > ?1 AND channel = 'sms'),
	(SELECT count(*) FROM message WHERE sent_at > ?1 AND cost_micros IS NOT NULL
	AND currency = ?2),
	(SELECT coalesce(sum(cost_micros), 0) FROM message WHERE sent_at > ?1
	AND cost_micros IS NOT NULL AND currency = ?2),
	(SELECT count(*) FROM send WHERE at > ?1 AND channel = 'voice');

-- name: BLOCK_FIND
-- The longest block in force at ?2 whose prefix begins the number ?1.
SELECT prefix, until, reason, created
	FROM block
	WHERE until > ?2 AND reason != 'lifted' AND substr(?1, 1, length(prefix)) = prefix
	ORDER BY length(prefix) DESC LIMIT 1;

-- name: BLOCK_SET
-- ?1 prefix, ?2 until, ?3 reason, ?4 created.
INSERT INTO block (prefix, until, reason, created)
	VALUES (?1, ?2, ?3, ?4)
	ON CONFLICT (prefix) DO UPDATE SET until = ?2, reason = ?3, created = ?4;

-- name: BLOCK_END
-- Lifted, not deleted: the breaker counts only the sends after it (?3
-- is how long to remember, the longest window).
UPDATE block
	SET reason = 'lifted', created = ?2, until = ?2 + ?3
	WHERE prefix = ?1 AND reason != 'lifted' AND until > ?2;

-- name: BLOCKS
-- The blocks in force at ?1, longest-lasting first, at most ?2.
SELECT prefix, until, reason, created
	FROM block
	WHERE until > ?1 AND reason != 'lifted'
	ORDER BY until DESC, prefix LIMIT ?2;

-- name: BLOCK_NETS
-- ?1 prefix, ?2 since, ?3 mature, ?4 when judged, ?5 the most rows: the
-- networks of CONVERSION's texts not verified, each with its texts, and
-- (the window over the groups) how many networks in all.
SELECT s.net, count(*), count(*) OVER ()
	FROM send s
	WHERE s.prefix = ?1 AND s.at > ?2 AND s.at <= ?3 AND s.channel IN ('sms', 'voice')
		AND NOT EXISTS (SELECT 1 FROM verified v WHERE v.phone = s.phone
		AND v.at >= s.at AND v.at <= ?4 AND v.channel IN ('sms', 'voice'))
	GROUP BY s.net
	ORDER BY count(*) DESC, s.net LIMIT ?5;

-- name: PURGE_VERIFICATIONS
-- Purges in batches, ?1 before, ?2 the batch: a request never deletes
-- more than OTP_PURGE_BATCH rows of each table.
DELETE FROM verification
	WHERE id IN (SELECT id FROM verification WHERE expires < ?1 LIMIT ?2);

-- name: PURGE_SENDS
DELETE FROM send
	WHERE rowid IN (SELECT rowid FROM send WHERE at < ?1 ORDER BY at LIMIT ?2);

-- name: PURGE_FAILURES
DELETE FROM failure
	WHERE rowid IN (SELECT rowid FROM failure WHERE at < ?1 ORDER BY at LIMIT ?2);

-- name: PURGE_ASSERTIONS
DELETE FROM assertion_used
	WHERE vid IN (SELECT vid FROM assertion_used WHERE at < ?1 ORDER BY at LIMIT ?2);

-- name: PURGE_MESSAGES
DELETE FROM message
	WHERE id IN (SELECT id FROM message WHERE updated < ?1 ORDER BY updated LIMIT ?2);

-- name: PURGE_CALLS
DELETE FROM voice_call
	WHERE state IN (SELECT state FROM voice_call WHERE updated < ?1 ORDER BY updated LIMIT ?2);

-- name: PURGE_EVENTS
DELETE FROM webhook_event
	WHERE id IN (SELECT id FROM webhook_event WHERE at < ?1 ORDER BY at LIMIT ?2);

-- name: PURGE_VERIFIED
DELETE FROM verified
	WHERE rowid IN (SELECT rowid FROM verified WHERE at < ?1 ORDER BY at LIMIT ?2);

-- name: PURGE_REFUSALS
DELETE FROM refusal
	WHERE (minute, kind, prefix) IN
		(SELECT minute, kind, prefix FROM refusal WHERE minute < ?1 / 60 LIMIT ?2);

-- name: PURGE_BLOCKS
DELETE FROM block
	WHERE prefix IN (SELECT prefix FROM block WHERE until < ?1 LIMIT ?2);

-- name: UNLOCK_VERIFICATIONS
-- Every code of the number ?1 dies (its guesses may have been
-- somebody's), and none seeds the next one's wrong tries (PHONE_ATTEMPTS
-- reads codes that failed to send too): the visitor asks again.
UPDATE verification
	SET attempts = 0, status = 'failed'
	WHERE phone = ?1
		AND (status IN ('pending', 'locked')
		OR (status = 'failed' AND attempts > 0));

-- name: UNLOCK_NET_VERIFICATIONS
-- ... or those of one network (?2), and the wrong codes on them.
UPDATE verification
	SET attempts = 0, status = 'failed'
	WHERE phone = ?1 AND net = ?2
		AND (status IN ('pending', 'locked')
		OR (status = 'failed' AND attempts > 0));

-- name: UNLOCK_NET_FAILURES
DELETE FROM failure
	WHERE phone = ?1 AND net = ?2;

-- name: LOCKS_NET_FAILURES
-- otp-admin locks: ?1 now, ?2 the window, ?3 the limit, ?4 the most
-- rows.  Each row: the number, the network (or ''), the count, when it
-- ends.  The same rows as COUNT_NET_FAILURES, COUNT_FAILURES,
-- PHONE_ATTEMPTS, COUNT_NET_TEXTS and COUNT_TEXTS.
SELECT phone, net, count(*), min(at) + ?2
	FROM failure
	WHERE at > ?1 - ?2
	GROUP BY phone, net
	HAVING count(*) >= ?3
	ORDER BY phone, net LIMIT ?4;

-- name: LOCKS_FAILURES
SELECT phone, '', count(*), min(at) + ?2
	FROM failure
	WHERE at > ?1 - ?2
	GROUP BY phone
	HAVING count(*) >= ?3
	ORDER BY phone LIMIT ?4;

-- name: LOCKS_CODES
-- A code is locked until it expires: no window (?1 now, ?2 the limit,
-- ?3 the most rows).
SELECT phone, net, count(*), max(expires)
	FROM verification
	WHERE expires > ?1 AND status != 'used' AND attempts >= ?2
	GROUP BY phone, net
	ORDER BY phone, net LIMIT ?3;

-- name: LOCKS_NET_TEXTS
SELECT phone, net, count(*), min(at) + ?2
	FROM send
	WHERE at > ?1 - ?2 AND channel IN ('sms', 'voice', 'refused', 'refused_call')
	GROUP BY phone, net
	HAVING count(*) >= ?3
	ORDER BY phone, net LIMIT ?4;

-- name: LOCKS_TEXTS
SELECT phone, '', count(*), min(at) + ?2
	FROM send
	WHERE at > ?1 - ?2 AND channel IN ('sms', 'voice')
	GROUP BY phone
	HAVING count(*) >= ?3
	ORDER BY phone LIMIT ?4;

-- name: LOCK_NETS_FAILURES
-- ?1 the number, ?2 since, ?3 the most rows: as BLOCK_NETS's.
SELECT net, count(*), count(*) OVER ()
	FROM failure
	WHERE phone = ?1 AND at > ?2
	GROUP BY net
	ORDER BY count(*) DESC, net LIMIT ?3;

-- name: LOCK_NETS_TEXTS
SELECT net, count(*), count(*) OVER ()
	FROM send
	WHERE phone = ?1 AND at > ?2 AND channel IN ('sms', 'voice')
	GROUP BY net
	ORDER BY count(*) DESC, net LIMIT ?3;

-- name: FORGET_ASSERTIONS
-- Every row about the number ?1: the assertions and messages found
-- through its verifications before those go.
DELETE FROM assertion_used
	WHERE vid IN (SELECT id FROM verification WHERE phone = ?1);

-- name: FORGET_MESSAGES
DELETE FROM message
	WHERE phone = ?1 OR vid IN (SELECT id FROM verification WHERE phone = ?1);

-- name: FORGET_CALLS
DELETE FROM voice_call
	WHERE phone = ?1;

-- name: FORGET_VERIFICATIONS
DELETE FROM verification
	WHERE phone = ?1;

-- name: FORGET_SENDS
DELETE FROM send
	WHERE phone = ?1;

-- name: FORGET_FAILURES
DELETE FROM failure
	WHERE phone = ?1;

-- name: FORGET_VERIFIED
DELETE FROM verified
	WHERE phone = ?1;

-- name: FORGET_BLOCKS
-- A block of exactly the number is about the person too.
DELETE FROM block
	WHERE prefix = ?1;

-- name: TOTALS
-- otp-admin stats after ?1 (struct store_totals), costs in the currency ?2.
SELECT (SELECT count(*) FROM send WHERE at > ?1),
	(SELECT count(*) FROM verified WHERE at > ?1),
	(SELECT count(*) FROM message WHERE sent_at > ?1 AND status = 'delivered'),
	(SELECT count(*) FROM message WHERE sent_at > ?1
	AND status IN ('delivery_failed', 'sending_failed', 'expired')),
	(SELECT coalesce(sum(n), 0) FROM refusal WHERE minute > ?1 / 60),
	(SELECT coalesce(sum(cost_micros), 0) FROM message WHERE sent_at > ?1
	AND cost_micros IS NOT NULL AND currency = ?2),
	(SELECT count(*) FROM message WHERE sent_at > ?1 AND cost_micros IS NOT NULL
	AND currency = ?2);

-- name: GROUPS_PREFIX
-- otp-admin's groups: ?1 since, ?2 the currency, ?3 the most rows.
-- Sends, codes verified and refusals per prefix or calling code (costs
-- are kept per message, which has neither: those parts give no row), the
-- most sends first.
SELECT key, sum(s), sum(v), sum(r), sum(c)
	FROM (SELECT prefix AS key, 1 AS s, 0 AS v, 0 AS r, 0 AS c
		FROM send WHERE at > ?1
	UNION ALL SELECT prefix, 0, 1, 0, 0
		FROM verified WHERE at > ?1
	UNION ALL SELECT prefix, 0, 0, n, 0
		FROM refusal WHERE minute > ?1 / 60 AND prefix IS NOT NULL
	UNION ALL SELECT NULL, 0, 0, 0, cost_micros
		FROM message WHERE sent_at > ?1 AND cost_micros IS NOT NULL
		AND currency = ?2 AND NULL IS NOT NULL)
	GROUP BY key
	ORDER BY sum(s) DESC, key LIMIT ?3;

-- name: GROUPS_COUNTRY
SELECT key, sum(s), sum(v), sum(r), sum(c)
	FROM (SELECT cc AS key, 1 AS s, 0 AS v, 0 AS r, 0 AS c
		FROM send WHERE at > ?1
	UNION ALL SELECT cc, 0, 1, 0, 0
		FROM verified WHERE at > ?1
	UNION ALL SELECT NULL, 0, 0, n, 0
		FROM refusal WHERE minute > ?1 / 60 AND NULL IS NOT NULL
	UNION ALL SELECT NULL, 0, 0, 0, cost_micros
		FROM message WHERE sent_at > ?1 AND cost_micros IS NOT NULL
		AND currency = ?2 AND NULL IS NOT NULL)
	GROUP BY key
	ORDER BY sum(s) DESC, key LIMIT ?3;

-- name: GROUPS_HOUR
-- By hour and day, with the costs: the newest first, so that the limit
-- keeps the latest; the front reverses them.
SELECT key, sum(s), sum(v), sum(r), sum(c)
	FROM (SELECT strftime('%Y-%m-%dT%H:00Z', at, 'unixepoch') AS key,
			1 AS s, 0 AS v, 0 AS r, 0 AS c
		FROM send WHERE at > ?1
	UNION ALL SELECT strftime('%Y-%m-%dT%H:00Z', at, 'unixepoch'), 0, 1, 0, 0
		FROM verified WHERE at > ?1
	UNION ALL SELECT strftime('%Y-%m-%dT%H:00Z', minute * 60, 'unixepoch'), 0, 0, n, 0
		FROM refusal WHERE minute > ?1 / 60
		AND strftime('%Y-%m-%dT%H:00Z', minute * 60, 'unixepoch') IS NOT NULL
	UNION ALL SELECT strftime('%Y-%m-%dT%H:00Z', sent_at, 'unixepoch'),
			0, 0, 0, cost_micros
		FROM message WHERE sent_at > ?1 AND cost_micros IS NOT NULL
		AND currency = ?2
		AND strftime('%Y-%m-%dT%H:00Z', sent_at, 'unixepoch') IS NOT NULL)
	GROUP BY key
	ORDER BY key DESC LIMIT ?3;

-- name: GROUPS_DAY
SELECT key, sum(s), sum(v), sum(r), sum(c)
	FROM (SELECT strftime('%Y-%m-%d', at, 'unixepoch') AS key,
			1 AS s, 0 AS v, 0 AS r, 0 AS c
		FROM send WHERE at > ?1
	UNION ALL SELECT strftime('%Y-%m-%d', at, 'unixepoch'), 0, 1, 0, 0
		FROM verified WHERE at > ?1
	UNION ALL SELECT strftime('%Y-%m-%d', minute * 60, 'unixepoch'), 0, 0, n, 0
		FROM refusal WHERE minute > ?1 / 60
		AND strftime('%Y-%m-%d', minute * 60, 'unixepoch') IS NOT NULL
	UNION ALL SELECT strftime('%Y-%m-%d', sent_at, 'unixepoch'), 0, 0, 0, cost_micros
		FROM message WHERE sent_at > ?1 AND cost_micros IS NOT NULL
		AND currency = ?2
		AND strftime('%Y-%m-%d', sent_at, 'unixepoch') IS NOT NULL)
	GROUP BY key
	ORDER BY key DESC LIMIT ?3;

-- name: REFUSAL_KINDS
-- Refusals after ?1 per kind, the most first, at most ?2.
SELECT kind, sum(n)
	FROM refusal
	WHERE minute > ?1 / 60
	GROUP BY kind
	ORDER BY sum(n) DESC, kind LIMIT ?2;

-- name: CHANNELS
-- otp-admin stats per channel after ?1 (struct store_channel_count, in
-- enum store_channel's order): the codes sent and verified by text
-- ('sms'), by call ('voice'), and shown to be texted back ('inbound').
-- A send the provider refused ('refused') is of none: nothing was sent.
SELECT (SELECT count(*) FROM send WHERE at > ?1 AND channel = 'sms'),
	(SELECT count(*) FROM verified WHERE at > ?1 AND channel = 'sms'),
	(SELECT count(*) FROM send WHERE at > ?1 AND channel = 'voice'),
	(SELECT count(*) FROM verified WHERE at > ?1 AND channel = 'voice'),
	(SELECT count(*) FROM send WHERE at > ?1 AND channel = 'inbound'),
	(SELECT count(*) FROM verified WHERE at > ?1 AND channel = 'inbound');

-- name: CALL_ENDS
-- How the calls placed after ?1 ended (struct store_call_ends), each
-- counted once: by its cause, the hang-up's or the answering machine's
-- verdict (kept over the hang-up: CALL_STAGE); a call with none of those words by
-- the stage it reached: from ?2 (CALL_ANSWERED) to ?3 (CALL_SPOKEN), a
-- call answered and not hung up yet.  Anything else (originator_cancel,
-- not_found, a call still ringing) is other.
SELECT coalesce(sum(e = 'answered'), 0), coalesce(sum(e = 'no_answer'), 0),
	coalesce(sum(e = 'busy'), 0), coalesce(sum(e = 'rejected'), 0),
	coalesce(sum(e = 'machine'), 0), coalesce(sum(e = 'other'), 0)
	FROM (SELECT CASE
			WHEN cause IN ('machine', 'not_sure') THEN 'machine'
			WHEN cause IN ('no_answer', 'timeout') THEN 'no_answer'
			WHEN cause = 'user_busy' THEN 'busy'
			WHEN cause = 'call_rejected' THEN 'rejected'
			WHEN cause IN ('normal_clearing', 'time_limit') THEN 'answered'
			WHEN stage BETWEEN ?2 AND ?3 THEN 'answered'
			ELSE 'other' END AS e
		FROM voice_call
		WHERE created > ?1);
