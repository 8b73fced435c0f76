-- The PostgreSQL engine's statements (lib/store_pg.c): the same as
-- sql/statements.sql, which says what each does, in PostgreSQL's words.
-- The arguments are $1, $2, ..., sent as text: a cast says the type of
-- each where the statement does not (::bigint, ::int, ::text), and a
-- hash goes as hex (decode()) and comes back as hex (encode()).  Text is
-- ordered byte by byte (COLLATE "C"), as SQLite orders it.  Upserts name
-- EXCLUDED (or the row, by its alias) where SQLite's name the arguments
-- again.

-- name: GET
SELECT v.phone, encode(v.mac, 'hex'), v.created, v.expires, v.attempts, v.status,
	v.message_id, v.return_to, encode(v.prev_mac, 'hex'), v.prev_expires, v.shown,
	coalesce(m.status, ''), v.channel, v.approved_at, v.id, v.prefix, v.cc, v.lang,
	v.net, v.ways
	FROM verification v
	LEFT JOIN message m ON v.message_id != '' AND m.id = v.message_id
	WHERE v.id = $1::text;

-- name: INBOUND_LIVE
SELECT v.phone, encode(v.mac, 'hex'), v.created, v.expires, v.attempts, v.status,
	v.message_id, v.return_to, encode(v.prev_mac, 'hex'), v.prev_expires, v.shown, '',
	v.channel, v.approved_at, v.id, v.prefix, v.cc, v.lang, v.net, v.ways
	FROM verification v
	WHERE v.phone = $1::text AND v.channel = 'inbound' AND v.status = 'pending'
		AND v.expires > $2::bigint AND v.approved_at = 0
	ORDER BY v.created DESC, v.seq DESC LIMIT $3::int;

-- name: PUT
INSERT INTO verification (id, phone, mac, created, expires, attempts, status, message_id,
	return_to, prev_mac, prev_expires, shown, channel, approved_at, prefix, cc, lang,
	net, ways)
	VALUES ($1, $2, decode($3, 'hex'), $4::bigint, $5::bigint, $6::int, $7, $8, $9,
		decode($10, 'hex'), $11::bigint, $12, $13, $14::bigint, $15, $16, $17, $18,
		$19::int)
	ON CONFLICT (id) DO UPDATE SET
		phone = EXCLUDED.phone, mac = EXCLUDED.mac, created = EXCLUDED.created,
		expires = EXCLUDED.expires, attempts = EXCLUDED.attempts,
		status = EXCLUDED.status, message_id = EXCLUDED.message_id,
		return_to = EXCLUDED.return_to, prev_mac = EXCLUDED.prev_mac,
		prev_expires = EXCLUDED.prev_expires, shown = EXCLUDED.shown,
		channel = EXCLUDED.channel, approved_at = EXCLUDED.approved_at,
		prefix = EXCLUDED.prefix, cc = EXCLUDED.cc, lang = EXCLUDED.lang,
		net = EXCLUDED.net, ways = EXCLUDED.ways;

-- name: SET_MESSAGE_ID
UPDATE verification
	SET message_id = $2::text
	WHERE id = $1::text;

-- name: FAIL
UPDATE verification
	SET status = CASE WHEN prev_expires > $3::bigint THEN 'pending' ELSE 'failed' END,
		mac = CASE WHEN prev_expires > $3::bigint THEN prev_mac ELSE mac END,
		expires = CASE WHEN prev_expires > $3::bigint THEN prev_expires ELSE expires END,
		prev_mac = ''::bytea, prev_expires = 0
	WHERE id = $1::text AND mac = decode($2, 'hex') AND status = 'pending';

-- name: FAIL_PREV
UPDATE verification
	SET prev_mac = ''::bytea, prev_expires = 0
	WHERE id = $1::text AND prev_mac = decode($2, 'hex');

-- name: PHONE_ATTEMPTS
SELECT max(attempts), max(expires)
	FROM verification
	WHERE phone = $1::text AND status != 'used' AND expires > $2::bigint
		AND net = $3::text;

-- name: MARK_ASSERTION
INSERT INTO assertion_used (vid, at)
	VALUES ($1, $2::bigint)
	ON CONFLICT (vid) DO NOTHING;

-- name: ADD_MESSAGE
INSERT INTO message (id, vid, phone, sent_at, updated)
	VALUES ($1, $2, $3, $4::bigint, $4::bigint)
	ON CONFLICT (id) DO UPDATE SET
		vid = EXCLUDED.vid, phone = EXCLUDED.phone, sent_at = EXCLUDED.sent_at;

-- name: RECEIPT
INSERT INTO message AS m (id, phone, status, stage, error_code, cost_micros, currency,
	parts, carrier, line_type, updated)
	VALUES ($1, $2::text, $3::text, $4::int, $5::text, $6::bigint, $7::text, $8::int,
		$9::text, $10::text, $11::bigint)
	ON CONFLICT (id) DO UPDATE SET
		status = CASE WHEN $4::int > m.stage THEN $3::text ELSE m.status END,
		error_code = CASE WHEN $4::int > m.stage THEN $5::text ELSE m.error_code END,
		cost_micros = CASE WHEN $6::bigint IS NOT NULL
			AND ($4::int >= m.stage OR m.cost_micros IS NULL)
			THEN $6::bigint ELSE m.cost_micros END,
		currency = CASE WHEN $6::bigint IS NOT NULL
			AND ($4::int >= m.stage OR m.cost_micros IS NULL)
			THEN $7::text ELSE m.currency END,
		parts = CASE WHEN m.parts = 0 THEN $8::int ELSE m.parts END,
		carrier = CASE WHEN m.carrier = '' THEN $9::text ELSE m.carrier END,
		line_type = CASE WHEN m.line_type = '' THEN $10::text ELSE m.line_type END,
		phone = CASE WHEN m.phone = '' THEN $2::text ELSE m.phone END,
		stage = greatest(m.stage, $4::int), updated = $11::bigint;

-- name: EVENT_NEW
INSERT INTO webhook_event (id, at)
	VALUES ($1, $2::bigint)
	ON CONFLICT (id) DO NOTHING;

-- name: CALL_ADD
INSERT INTO voice_call (state, vid, phone, created, updated)
	VALUES ($1, $2, $3, $4::bigint, $4::bigint);

-- name: CALL_SET_ID
UPDATE voice_call SET call_id = $2::text, updated = $3::bigint
	WHERE state = $1 AND call_id IN ('', $2::text);

-- name: CALL_FIND
SELECT state, vid, phone, call_id, status, stage, cause, created, updated
	FROM voice_call
	WHERE state = $1;

-- name: CALL_STAGE
UPDATE voice_call SET status = $2, stage = $3::int, updated = $5::bigint,
		cause = CASE WHEN cause IN ('machine', 'not_sure') THEN cause ELSE $4 END
	WHERE state = $1 AND stage < $3::int;

-- name: CALL_LATEST
SELECT state, vid, phone, call_id, status, stage, cause, created, updated
	FROM voice_call
	WHERE vid = $1::text
	ORDER BY created DESC, updated DESC LIMIT 1;

-- name: COUNT_TEXTS
SELECT count(*), min(at)
	FROM send
	WHERE phone = $2::text AND at > $1::bigint AND channel IN ('sms', 'voice');

-- name: COUNT_NET_TEXTS
SELECT count(*), min(at)
	FROM send
	WHERE phone = $2::text AND at > $1::bigint
		AND channel IN ('sms', 'voice', 'refused', 'refused_call') AND net = $3::text;

-- name: COUNT_NET_SMS
SELECT count(*), min(at)
	FROM send
	WHERE phone = $2::text AND at > $1::bigint AND channel IN ('sms', 'refused')
		AND net = $3::text;

-- name: COUNT_CALLS
SELECT count(*), min(at)
	FROM send
	WHERE phone = $2::text AND at > $1::bigint AND channel = 'voice';

-- name: COUNT_NET_CALLS
SELECT count(*), min(at)
	FROM send
	WHERE phone = $2::text AND at > $1::bigint AND channel = 'voice' AND net = $3::text;

-- name: COUNT_NET_CALL_TRIES
SELECT count(*), min(at)
	FROM send
	WHERE phone = $2::text AND at > $1::bigint AND channel IN ('voice', 'refused_call')
		AND net = $3::text;

-- name: COUNT_INBOUND
SELECT count(*), min(at)
	FROM send
	WHERE phone = $2::text AND at > $1::bigint AND channel = 'inbound';

-- name: COUNT_NET_INBOUND
SELECT count(*), min(at)
	FROM send
	WHERE phone = $2::text AND at > $1::bigint AND channel = 'inbound'
		AND net = $3::text;

-- name: COUNT_CLIENT
SELECT count(*), min(at)
	FROM send
	WHERE client = $2::text AND at > $1::bigint AND channel != 'inbound';

-- name: COUNT_CLIENT_INBOUND
SELECT count(*), min(at)
	FROM send
	WHERE client = $2::text AND at > $1::bigint AND channel = 'inbound';

-- name: COUNT_NET_UNVERIFIED
SELECT count(*), min(at)
	FROM send s
	WHERE s.net = $2::text AND s.at > $1::bigint
		AND s.channel IN ('sms', 'voice', 'refused', 'refused_call')
		AND NOT EXISTS (SELECT 1 FROM verified v WHERE v.phone = s.phone
		AND v.at >= s.at AND v.channel IN ('sms', 'voice'));

-- name: COUNT_COUNTRY
SELECT coalesce(sum(n), 0), min(minute) * 60
	FROM send_minute
	WHERE scope = $2::text AND minute > $1::bigint / 60;

-- name: COUNT_ALL
SELECT coalesce(sum(n), 0), min(minute) * 60
	FROM send_minute
	WHERE scope = '*' AND minute > $1::bigint / 60;

-- name: COUNT_FAILURES
SELECT count(*), min(at)
	FROM failure
	WHERE phone = $2::text AND at > $1::bigint;

-- name: COUNT_NET_FAILURES
SELECT count(*), min(at)
	FROM failure
	WHERE phone = $2::text AND at > $1::bigint AND net = $3::text;

-- name: ADD_SEND
INSERT INTO send (at, phone, client, country, channel, prefix, cc, net)
	VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8);

-- name: ADD_FAILURE
INSERT INTO failure (at, phone, net)
	VALUES ($1::bigint, $2, $3);

-- name: UNSEND
-- The trigger send_counted moves the minute counts with the channel:
-- one update, and nothing for UNSEND_DROP.  $4 the channel, as SQLite's.
UPDATE send
	SET channel = CASE $4::text WHEN 'voice' THEN 'refused_call' ELSE 'refused' END
	WHERE id = (SELECT id FROM send WHERE phone = $2::text AND at = $1::bigint
		AND client = $3::text AND channel = $4::text LIMIT 1);

-- name: UNSEND_DROP

-- name: ADD_VERIFIED
INSERT INTO verified (at, phone, prefix, cc, channel)
	VALUES ($1::bigint, $2, $3, $4, $5);

-- name: ADD_REFUSAL
INSERT INTO refusal AS r (minute, kind, prefix, n)
	VALUES ($1::bigint / 60, $2, $3, 1)
	ON CONFLICT (minute, kind, prefix) DO UPDATE SET n = r.n + 1;

-- name: CONVERSION
SELECT count(*) FILTER (WHERE at <= $3::bigint),
	count(*) FILTER (WHERE at <= $3::bigint AND ok),
	count(DISTINCT net) FILTER (WHERE at <= $3::bigint AND NOT ok),
	count(*) FILTER (WHERE at > $3::bigint AND NOT ok),
	count(DISTINCT net) FILTER (WHERE at > $3::bigint AND NOT ok)
	FROM (SELECT s.at, s.net, EXISTS (SELECT 1 FROM verified v WHERE v.phone = s.phone
			AND v.at >= s.at AND v.channel IN ('sms', 'voice')) AS ok
		FROM send s
		WHERE s.prefix = $1::text AND s.at > $2::bigint
			AND s.channel IN ('sms', 'voice')) AS c;

-- name: LIFTED
SELECT coalesce(max(created), 0)
	FROM block
	WHERE prefix = $1::text AND reason = 'lifted';

-- name: SPEND
SELECT (SELECT count(*) FROM send WHERE at > $1::bigint AND channel = 'sms'),
	(SELECT count(*) FROM message WHERE sent_at > $1::bigint
	AND cost_micros IS NOT NULL AND currency = $2::text),
	(SELECT coalesce(sum(cost_micros), 0) FROM message WHERE sent_at > $1::bigint
	AND cost_micros IS NOT NULL AND currency = $2::text),
	(SELECT count(*) FROM send WHERE at > $1::bigint AND channel = 'voice');

-- name: BLOCK_FIND
SELECT prefix, until, reason, created
	FROM block
	WHERE until > $2::bigint AND reason != 'lifted'
		AND left($1::text, length(prefix)) = prefix
	ORDER BY length(prefix) DESC LIMIT 1;

-- name: BLOCK_SET
INSERT INTO block (prefix, until, reason, created)
	VALUES ($1, $2::bigint, $3, $4::bigint)
	ON CONFLICT (prefix) DO UPDATE SET
		until = EXCLUDED.until, reason = EXCLUDED.reason, created = EXCLUDED.created;

-- name: BLOCK_END
UPDATE block
	SET reason = 'lifted', created = $2::bigint, until = $2::bigint + $3::bigint
	WHERE prefix = $1::text AND reason != 'lifted' AND until > $2::bigint;

-- name: BLOCKS
SELECT prefix, until, reason, created
	FROM block
	WHERE until > $1::bigint AND reason != 'lifted'
	ORDER BY until DESC, prefix COLLATE "C" LIMIT $2::int;

-- name: BLOCK_NETS
SELECT s.net, count(*), count(*) OVER ()
	FROM send s
	WHERE s.prefix = $1::text AND s.at > $2::bigint AND s.at <= $3::bigint
		AND s.channel IN ('sms', 'voice')
		AND NOT EXISTS (SELECT 1 FROM verified v WHERE v.phone = s.phone
		AND v.at >= s.at AND v.at <= $4::bigint AND v.channel IN ('sms', 'voice'))
	GROUP BY s.net
	ORDER BY count(*) DESC, s.net COLLATE "C" LIMIT $5::int;

-- name: PURGE_VERIFICATIONS
DELETE FROM verification
	WHERE id IN (SELECT id FROM verification WHERE expires < $1::bigint LIMIT $2::int);

-- name: PURGE_SENDS
DELETE FROM send
	WHERE id IN (SELECT id FROM send WHERE at < $1::bigint ORDER BY at LIMIT $2::int);

-- name: PURGE_FAILURES
DELETE FROM failure
	WHERE id IN (SELECT id FROM failure WHERE at < $1::bigint ORDER BY at LIMIT $2::int);

-- name: PURGE_ASSERTIONS
DELETE FROM assertion_used
	WHERE vid IN (SELECT vid FROM assertion_used WHERE at < $1::bigint ORDER BY at LIMIT $2::int);

-- name: PURGE_MESSAGES
DELETE FROM message
	WHERE id IN (SELECT id FROM message WHERE updated < $1::bigint ORDER BY updated LIMIT $2::int);

-- name: PURGE_CALLS
DELETE FROM voice_call
	WHERE state IN (SELECT state FROM voice_call WHERE updated < $1::bigint ORDER BY updated LIMIT $2::int);

-- name: PURGE_EVENTS
DELETE FROM webhook_event
	WHERE id IN (SELECT id FROM webhook_event WHERE at < $1::bigint ORDER BY at LIMIT $2::int);

-- name: PURGE_VERIFIED
DELETE FROM verified
	WHERE id IN (SELECT id FROM verified WHERE at < $1::bigint ORDER BY at LIMIT $2::int);

-- name: PURGE_REFUSALS
DELETE FROM refusal
	WHERE (minute, kind, prefix) IN (SELECT minute, kind, prefix
		FROM refusal WHERE minute < $1::bigint / 60 LIMIT $2::int);

-- name: PURGE_BLOCKS
DELETE FROM block
	WHERE prefix IN (SELECT prefix FROM block WHERE until < $1::bigint LIMIT $2::int);

-- name: UNLOCK_VERIFICATIONS
UPDATE verification
	SET attempts = 0, status = 'failed'
	WHERE phone = $1::text
		AND (status IN ('pending', 'locked')
		OR (status = 'failed' AND attempts > 0));

-- name: UNLOCK_NET_VERIFICATIONS
UPDATE verification
	SET attempts = 0, status = 'failed'
	WHERE phone = $1::text AND net = $2::text
		AND (status IN ('pending', 'locked')
		OR (status = 'failed' AND attempts > 0));

-- name: UNLOCK_NET_FAILURES
DELETE FROM failure
	WHERE phone = $1::text AND net = $2::text;

-- name: LOCKS_NET_FAILURES
-- $1 now, $2 the window (not for the codes: LOCKS_CODES), then the
-- limit and the most rows.
SELECT phone, net, count(*), min(at) + $2::bigint
	FROM failure
	WHERE at > $1::bigint - $2::bigint
	GROUP BY phone, net
	HAVING count(*) >= $3::bigint
	ORDER BY phone COLLATE "C", net COLLATE "C" LIMIT $4::int;

-- name: LOCKS_FAILURES
SELECT phone, '', count(*), min(at) + $2::bigint
	FROM failure
	WHERE at > $1::bigint - $2::bigint
	GROUP BY phone
	HAVING count(*) >= $3::bigint
	ORDER BY phone COLLATE "C" LIMIT $4::int;

-- name: LOCKS_CODES
SELECT phone, net, count(*), max(expires)
	FROM verification
	WHERE expires > $1::bigint AND status != 'used' AND attempts >= $2::bigint
	GROUP BY phone, net
	ORDER BY phone COLLATE "C", net COLLATE "C" LIMIT $3::int;

-- name: LOCKS_NET_TEXTS
SELECT phone, net, count(*), min(at) + $2::bigint
	FROM send
	WHERE at > $1::bigint - $2::bigint
		AND channel IN ('sms', 'voice', 'refused', 'refused_call')
	GROUP BY phone, net
	HAVING count(*) >= $3::bigint
	ORDER BY phone COLLATE "C", net COLLATE "C" LIMIT $4::int;

-- name: LOCKS_TEXTS
SELECT phone, '', count(*), min(at) + $2::bigint
	FROM send
	WHERE at > $1::bigint - $2::bigint AND channel IN ('sms', 'voice')
	GROUP BY phone
	HAVING count(*) >= $3::bigint
	ORDER BY phone COLLATE "C" LIMIT $4::int;

-- name: LOCK_NETS_FAILURES
SELECT net, count(*), count(*) OVER ()
	FROM failure
	WHERE phone = $1::text AND at > $2::bigint
	GROUP BY net
	ORDER BY count(*) DESC, net COLLATE "C" LIMIT $3::int;

-- name: LOCK_NETS_TEXTS
SELECT net, count(*), count(*) OVER ()
	FROM send
	WHERE phone = $1::text AND at > $2::bigint AND channel IN ('sms', 'voice')
	GROUP BY net
	ORDER BY count(*) DESC, net COLLATE "C" LIMIT $3::int;

-- name: FORGET_ASSERTIONS
DELETE FROM assertion_used
	WHERE vid IN (SELECT id FROM verification WHERE phone = $1::text);

-- name: FORGET_MESSAGES
DELETE FROM message
	WHERE phone = $1::text
		OR vid IN (SELECT id FROM verification WHERE phone = $1::text);

-- name: FORGET_CALLS
DELETE FROM voice_call
	WHERE phone = $1::text;

-- name: FORGET_VERIFICATIONS
DELETE FROM verification
	WHERE phone = $1::text;

-- name: FORGET_SENDS
DELETE FROM send
	WHERE phone = $1::text;

-- name: FORGET_FAILURES
DELETE FROM failure
	WHERE phone = $1::text;

-- name: FORGET_VERIFIED
DELETE FROM verified
	WHERE phone = $1::text;

-- name: FORGET_BLOCKS
DELETE FROM block
	WHERE prefix = $1::text;

-- name: TOTALS
SELECT (SELECT count(*) FROM send WHERE at > $1::bigint),
	(SELECT count(*) FROM verified WHERE at > $1::bigint),
	(SELECT count(*) FROM message WHERE sent_at > $1::bigint AND status = 'delivered'),
	(SELECT count(*) FROM message WHERE sent_at > $1::bigint
	AND status IN ('delivery_failed', 'sending_failed', 'expired')),
	(SELECT coalesce(sum(n), 0) FROM refusal WHERE minute > $1::bigint / 60),
	(SELECT coalesce(sum(cost_micros), 0) FROM message WHERE sent_at > $1::bigint
	AND cost_micros IS NOT NULL AND currency = $2::text),
	(SELECT count(*) FROM message WHERE sent_at > $1::bigint
	AND cost_micros IS NOT NULL AND currency = $2::text);

-- name: GROUPS_PREFIX
SELECT key, sum(s), sum(v), sum(r), sum(c)
	FROM (SELECT prefix AS key, 1 AS s, 0 AS v, 0 AS r, 0 AS c
		FROM send WHERE at > $1::bigint
	UNION ALL SELECT prefix, 0, 1, 0, 0
		FROM verified WHERE at > $1::bigint
	UNION ALL SELECT prefix, 0, 0, n, 0
		FROM refusal WHERE minute > $1::bigint / 60 AND prefix IS NOT NULL
	UNION ALL SELECT NULL, 0, 0, 0, cost_micros
		FROM message WHERE sent_at > $1::bigint AND cost_micros IS NOT NULL
		AND currency = $2::text AND NULL IS NOT NULL) AS g
	GROUP BY key
	ORDER BY sum(s) DESC, key COLLATE "C" LIMIT $3::int;

-- name: GROUPS_COUNTRY
SELECT key, sum(s), sum(v), sum(r), sum(c)
	FROM (SELECT cc AS key, 1 AS s, 0 AS v, 0 AS r, 0 AS c
		FROM send WHERE at > $1::bigint
	UNION ALL SELECT cc, 0, 1, 0, 0
		FROM verified WHERE at > $1::bigint
	UNION ALL SELECT NULL, 0, 0, n, 0
		FROM refusal WHERE minute > $1::bigint / 60 AND NULL IS NOT NULL
	UNION ALL SELECT NULL, 0, 0, 0, cost_micros
		FROM message WHERE sent_at > $1::bigint AND cost_micros IS NOT NULL
		AND currency = $2::text AND NULL IS NOT NULL) AS g
	GROUP BY key
	ORDER BY sum(s) DESC, key COLLATE "C" LIMIT $3::int;

-- name: GROUPS_HOUR
SELECT key, sum(s), sum(v), sum(r), sum(c)
	FROM (SELECT to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00"Z"') AS key,
			1 AS s, 0 AS v, 0 AS r, 0 AS c
		FROM send WHERE at > $1::bigint
	UNION ALL SELECT to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00"Z"'),
			0, 1, 0, 0
		FROM verified WHERE at > $1::bigint
	UNION ALL SELECT to_char(to_timestamp(minute * 60) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00"Z"'),
			0, 0, n, 0
		FROM refusal WHERE minute > $1::bigint / 60
		AND to_char(to_timestamp(minute * 60) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00"Z"') IS NOT NULL
	UNION ALL SELECT to_char(to_timestamp(sent_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00"Z"'),
			0, 0, 0, cost_micros
		FROM message WHERE sent_at > $1::bigint AND cost_micros IS NOT NULL
		AND currency = $2::text
		AND to_char(to_timestamp(sent_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00"Z"') IS NOT NULL) AS g
	GROUP BY key
	ORDER BY key COLLATE "C" DESC LIMIT $3::int;

-- name: GROUPS_DAY
SELECT key, sum(s), sum(v), sum(r), sum(c)
	FROM (SELECT to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS key,
			1 AS s, 0 AS v, 0 AS r, 0 AS c
		FROM send WHERE at > $1::bigint
	UNION ALL SELECT to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
			0, 1, 0, 0
		FROM verified WHERE at > $1::bigint
	UNION ALL SELECT to_char(to_timestamp(minute * 60) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
			0, 0, n, 0
		FROM refusal WHERE minute > $1::bigint / 60
		AND to_char(to_timestamp(minute * 60) AT TIME ZONE 'UTC', 'YYYY-MM-DD') IS NOT NULL
	UNION ALL SELECT to_char(to_timestamp(sent_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
			0, 0, 0, cost_micros
		FROM message WHERE sent_at > $1::bigint AND cost_micros IS NOT NULL
		AND currency = $2::text
		AND to_char(to_timestamp(sent_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') IS NOT NULL) AS g
	GROUP BY key
	ORDER BY key COLLATE "C" DESC LIMIT $3::int;

-- name: REFUSAL_KINDS
SELECT kind, sum(n)
	FROM refusal
	WHERE minute > $1::bigint / 60
	GROUP BY kind
	ORDER BY sum(n) DESC, kind COLLATE "C" LIMIT $2::int;

-- name: CHANNELS
SELECT (SELECT count(*) FROM send WHERE at > $1::bigint AND channel = 'sms'),
	(SELECT count(*) FROM verified WHERE at > $1::bigint AND channel = 'sms'),
	(SELECT count(*) FROM send WHERE at > $1::bigint AND channel = 'voice'),
	(SELECT count(*) FROM verified WHERE at > $1::bigint AND channel = 'voice'),
	(SELECT count(*) FROM send WHERE at > $1::bigint AND channel = 'inbound'),
	(SELECT count(*) FROM verified WHERE at > $1::bigint AND channel = 'inbound');

-- name: CALL_ENDS
SELECT count(*) FILTER (WHERE e = 'answered'), count(*) FILTER (WHERE e = 'no_answer'),
	count(*) FILTER (WHERE e = 'busy'), count(*) FILTER (WHERE e = 'rejected'),
	count(*) FILTER (WHERE e = 'machine'), count(*) FILTER (WHERE e = 'other')
	FROM (SELECT CASE
			WHEN cause IN ('machine', 'not_sure') THEN 'machine'
			WHEN cause IN ('no_answer', 'timeout') THEN 'no_answer'
			WHEN cause = 'user_busy' THEN 'busy'
			WHEN cause = 'call_rejected' THEN 'rejected'
			WHEN cause IN ('normal_clearing', 'time_limit') THEN 'answered'
			WHEN stage BETWEEN $2::int AND $3::int THEN 'answered'
			ELSE 'other' END AS e
		FROM voice_call
		WHERE created > $1::bigint) AS c;
