/*
 * The PostgreSQL engine of the store (lib/store_engine.h), for sites that
 * run several web servers on one database: DATABASE_URL names it (a
 * libpq connection URI), and DB_PATH is then not used.
 *
 * libpq is loaded with dlopen() when a program first opens the store, as
 * libcurl is when it sends: a site on SQLite never loads it, and no
 * program links it.  The tables are sql/pg-schema.sql, made by the first
 * program to find none and brought up to date by the one that finds an
 * older version, in a transaction holding an advisory lock, so that of
 * many first requests on many machines one does it and the others wait
 * and find it done.
 *
 * Every limit holds across machines as it does across processes on one:
 * a write transaction (store_begin()) takes one transaction-level
 * advisory lock, so that the checks of a send and its insert, or the
 * check of a code and its use, never interleave with another's, whichever
 * web server runs it.  The clock is the database's (store_now()): a few
 * seconds between web servers' clocks neither lengthen a code's life nor
 * reopen a limit's window.
 *
 * Every statement is in store_pg_sql[] with its parameters as $n, sent
 * with PQexecParams(): nothing is built from strings.  Hashes go as hex
 * (decode()/encode()), everything else as text.  The URL is never
 * logged: it may hold a password.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "schema.h"
#include "store_engine.h"

#define STORE_PG_LIBPQ "libpq.so.5" /* the SONAME since PostgreSQL 8.2 */

/*
 * The steps from sql/: store_pg_steps[n] takes a database of version
 * n - 1 to n (and says so in otp_schema).  The first PostgreSQL schema is
 * version 6; sql/pg-schema.sql is the whole latest, in step with the
 * SQLite schema's user_version.
 */
#define STORE_PG_FIRST 6
static const char *const store_pg_steps[] = {
    [7] = store_pg_migrate_7,
    [8] = store_pg_migrate_8,
    [9] = store_pg_migrate_9,
};

#define STORE_PG_VERSION ((int)(sizeof(store_pg_steps) / sizeof(store_pg_steps[0])) - 1)

/* The advisory locks' keys: every write transaction, and the making of
 * the schema ("otp-send", "otp-make" as big-endian bytes). */
#define STORE_PG_LOCK_WRITE  "8031046211394793060"
#define STORE_PG_LOCK_SCHEMA "8031046211226185317"

/* How long a statement, and a wait for the write lock, may take before
 * the request fails (503) rather than hangs; and the connect timeout
 * when the URL sets none. */
#define STORE_PG_SETUP           "SET statement_timeout = 15000; SET lock_timeout = 10000; "
#define STORE_PG_CONNECT_TIMEOUT "5"

/* The libpq functions this file uses, from store_pg_load(). */
static struct {
	void *lib;
	PGconn *(*connectdb_params)(const char *const *, const char *const *, int);
	ConnStatusType (*status)(const PGconn *);
	char *(*error_message)(const PGconn *);
	void (*finish)(PGconn *);
	PGresult *(*exec)(PGconn *, const char *);
	PGresult *(*exec_params)(PGconn *, const char *, int, const Oid *, const char *const *,
				 const int *, const int *, int);
	ExecStatusType (*result_status)(const PGresult *);
	char *(*result_error_field)(const PGresult *, int);
	int (*ntuples)(const PGresult *);
	char *(*getvalue)(const PGresult *, int, int);
	int (*getisnull)(const PGresult *, int, int);
	int (*nfields)(const PGresult *);
	char *(*cmd_tuples)(PGresult *);
	void (*clear)(PGresult *);
	PGTransactionStatusType (*transaction_status)(const PGconn *);
	PQnoticeProcessor (*set_notice_processor)(PGconn *, PQnoticeProcessor, void *);
	int (*consume_input)(PGconn *);
	PQconninfoOption *(*conninfo_parse)(const char *, char **);
	void (*conninfo_free)(PQconninfoOption *);
	void (*freemem)(void *);
} pq;

enum store_pg_stmt {
	PG_NOW,
	PG_GET,
	PG_INBOUND_LIVE,
	PG_PUT,
	PG_PURGE,
	PG_SET_MESSAGE_ID,
	PG_ADD_MESSAGE,
	PG_RECEIPT,
	PG_EVENT_NEW,
	PG_PURGE_MESSAGES,
	PG_PURGE_EVENTS,
	PG_FAIL,
	PG_FAIL_PREV,
	PG_PURGE_SENDS,
	PG_PURGE_FAILURES,
	PG_COUNT_TEXTS,
	PG_COUNT_NET_TEXTS,
	PG_COUNT_INBOUND,
	PG_COUNT_NET_INBOUND,
	PG_PHONE_ATTEMPTS,
	PG_COUNT_CLIENT,
	PG_COUNT_CLIENT_INBOUND,
	PG_COUNT_NET_UNVERIFIED,
	PG_COUNT_COUNTRY,
	PG_COUNT_ALL,
	PG_ADD_SEND,
	PG_COUNT_FAILURES,
	PG_COUNT_NET_FAILURES,
	PG_ADD_FAILURE,
	PG_UNSEND,
	PG_ADD_VERIFIED,
	PG_ADD_REFUSAL,
	PG_CONVERSION,
	PG_LIFTED,
	PG_SPEND,
	PG_BLOCK_FIND,
	PG_BLOCK_SET,
	PG_BLOCK_END,
	PG_BLOCKS,
	PG_BLOCK_NETS,
	PG_PURGE_VERIFIED,
	PG_PURGE_REFUSALS,
	PG_PURGE_BLOCKS,
	PG_UNLOCK_VERIFICATIONS,
	PG_UNLOCK_NET_VERIFICATIONS,
	PG_UNLOCK_NET_FAILURES,
	PG_LOCKS_NET_FAILURES,
	PG_LOCKS_FAILURES,
	PG_LOCKS_CODES,
	PG_LOCKS_NET_TEXTS,
	PG_LOCKS_TEXTS,
	PG_LOCK_NETS_FAILURES,
	PG_LOCK_NETS_TEXTS,
	PG_FORGET_ASSERTIONS,
	PG_FORGET_MESSAGES,
	PG_FORGET_VERIFICATIONS,
	PG_FORGET_SENDS,
	PG_FORGET_FAILURES,
	PG_FORGET_VERIFIED,
	PG_FORGET_BLOCKS,
	PG_TOTALS,
	PG_GROUPS_PREFIX,
	PG_GROUPS_COUNTRY,
	PG_GROUPS_HOUR,
	PG_GROUPS_DAY,
	PG_REFUSAL_KINDS,
	PG_MARK_ASSERTION,
	PG_PURGE_ASSERTIONS,
	PG__MAX
};

/* As lib/store_sqlite.c's STORE_GROUPS: $1 since, $2 the currency, $3 the most rows. */
#define STORE_PG_GROUPS(key, rkey, mkey, order)                                                    \
	"SELECT key, sum(s), sum(v), sum(r), sum(c) FROM ("                                        \
	"SELECT " key " AS key, 1 AS s, 0 AS v, 0 AS r, 0 AS c FROM send WHERE at > $1::bigint "   \
	"UNION ALL SELECT " key ", 0, 1, 0, 0 FROM verified WHERE at > $1::bigint "                \
	"UNION ALL SELECT " rkey ", 0, 0, n, 0 FROM refusal WHERE minute > $1::bigint / 60 "       \
	"AND " rkey " IS NOT NULL "                                                                \
	"UNION ALL SELECT " mkey ", 0, 0, 0, cost_micros FROM message WHERE sent_at > $1::bigint " \
	"AND cost_micros IS NOT NULL AND currency = $2::text AND " mkey " IS NOT NULL) AS g "      \
	"GROUP BY key ORDER BY " order " LIMIT $3::int"
#define STORE_PG_TIME(col, fmt) "to_char(to_timestamp(" col ") AT TIME ZONE 'UTC', '" fmt "')"
#define STORE_PG_HOUR(col)      STORE_PG_TIME(col, "YYYY-MM-DD\"T\"HH24:00\"Z\"")
#define STORE_PG_DAY(col)       STORE_PG_TIME(col, "YYYY-MM-DD")
/* The columns of a verification, for store_pg_row(). */
#define STORE_PG_VCOLS                                                                             \
	"v.phone, encode(v.mac, 'hex'), v.created, v.expires, v.attempts, v.status, "              \
	"v.message_id, v.return_to, encode(v.prev_mac, 'hex'), v.prev_expires, v.shown, "

/*
 * The statements and how many parameters each takes; what each does is
 * said at its twin in lib/store_sqlite.c.  Text is compared byte by byte
 * (COLLATE "C") where SQLite's order is kept.
 */
static const struct {
	const char *sql;
	int nparams;
} store_pg_sql[PG__MAX] = {
    [PG_NOW] = {"SELECT floor(extract(epoch FROM clock_timestamp()))::bigint", 0},
    [PG_GET] = {"SELECT " STORE_PG_VCOLS "coalesce(m.status, ''), v.channel, v.approved_at, v.id, "
		"v.prefix, v.cc, v.lang, v.net FROM verification v "
		"LEFT JOIN message m ON v.message_id != '' AND m.id = v.message_id "
		"WHERE v.id = $1::text",
		1},
    [PG_INBOUND_LIVE] = {"SELECT " STORE_PG_VCOLS "'', v.channel, v.approved_at, v.id, v.prefix, "
			 "v.cc, v.lang, v.net FROM verification v WHERE v.phone = $1::text "
			 "AND v.channel = 'inbound' AND v.status = 'pending' "
			 "AND v.expires > $2::bigint AND v.approved_at = 0 "
			 "ORDER BY v.created DESC, v.seq DESC LIMIT $3::int",
			 3},
    [PG_PUT] = {"INSERT INTO verification "
		"(id, phone, mac, created, expires, attempts, status, message_id, return_to, "
		"prev_mac, prev_expires, shown, channel, approved_at, prefix, cc, lang, net) "
		"VALUES ($1, $2, decode($3, 'hex'), $4::bigint, $5::bigint, $6::int, $7, $8, $9, "
		"decode($10, 'hex'), $11::bigint, $12, $13, $14::bigint, $15, $16, $17, $18) "
		"ON CONFLICT (id) DO UPDATE SET phone = EXCLUDED.phone, mac = EXCLUDED.mac, "
		"created = EXCLUDED.created, expires = EXCLUDED.expires, "
		"attempts = EXCLUDED.attempts, status = EXCLUDED.status, "
		"message_id = EXCLUDED.message_id, return_to = EXCLUDED.return_to, "
		"prev_mac = EXCLUDED.prev_mac, prev_expires = EXCLUDED.prev_expires, "
		"shown = EXCLUDED.shown, channel = EXCLUDED.channel, "
		"approved_at = EXCLUDED.approved_at, prefix = EXCLUDED.prefix, cc = EXCLUDED.cc, "
		"lang = EXCLUDED.lang, net = EXCLUDED.net",
		18},
    [PG_PURGE] = {"DELETE FROM verification WHERE id IN "
		  "(SELECT id FROM verification WHERE expires < $1::bigint LIMIT $2::int)",
		  2},
    [PG_SET_MESSAGE_ID] = {"UPDATE verification SET message_id = $2::text WHERE id = $1::text", 2},
    [PG_ADD_MESSAGE] = {"INSERT INTO message (id, vid, phone, sent_at, updated) "
			"VALUES ($1, $2, $3, $4::bigint, $4::bigint) "
			"ON CONFLICT (id) DO UPDATE SET vid = EXCLUDED.vid, "
			"phone = EXCLUDED.phone, sent_at = EXCLUDED.sent_at",
			4},
    [PG_RECEIPT] = {"INSERT INTO message AS m (id, phone, status, stage, error_code, cost_micros, "
		    "currency, parts, carrier, line_type, updated) "
		    "VALUES ($1, $2::text, $3::text, $4::int, $5::text, $6::bigint, $7::text, "
		    "$8::int, $9::text, $10::text, $11::bigint) "
		    "ON CONFLICT (id) DO UPDATE SET "
		    "status = CASE WHEN $4::int > m.stage THEN $3::text ELSE m.status END, "
		    "error_code = CASE WHEN $4::int > m.stage THEN $5::text ELSE m.error_code END, "
		    "cost_micros = CASE WHEN $6::bigint IS NOT NULL "
		    "AND ($4::int >= m.stage OR m.cost_micros IS NULL) "
		    "THEN $6::bigint ELSE m.cost_micros END, "
		    "currency = CASE WHEN $6::bigint IS NOT NULL "
		    "AND ($4::int >= m.stage OR m.cost_micros IS NULL) "
		    "THEN $7::text ELSE m.currency END, "
		    "parts = CASE WHEN m.parts = 0 THEN $8::int ELSE m.parts END, "
		    "carrier = CASE WHEN m.carrier = '' THEN $9::text ELSE m.carrier END, "
		    "line_type = CASE WHEN m.line_type = '' THEN $10::text ELSE m.line_type END, "
		    "phone = CASE WHEN m.phone = '' THEN $2::text ELSE m.phone END, "
		    "stage = greatest(m.stage, $4::int), updated = $11::bigint",
		    11},
    [PG_EVENT_NEW] = {"INSERT INTO webhook_event (id, at) VALUES ($1, $2::bigint) "
		      "ON CONFLICT (id) DO NOTHING",
		      2},
    [PG_PURGE_MESSAGES] = {"DELETE FROM message WHERE id IN (SELECT id FROM message "
			   "WHERE updated < $1::bigint ORDER BY updated LIMIT $2::int)",
			   2},
    [PG_PURGE_EVENTS] = {"DELETE FROM webhook_event WHERE id IN (SELECT id FROM webhook_event "
			 "WHERE at < $1::bigint ORDER BY at LIMIT $2::int)",
			 2},
    [PG_FAIL] =
	{"UPDATE verification SET "
	 "status = CASE WHEN prev_expires > $3::bigint THEN 'pending' ELSE 'failed' END, "
	 "mac = CASE WHEN prev_expires > $3::bigint THEN prev_mac ELSE mac END, "
	 "expires = CASE WHEN prev_expires > $3::bigint THEN prev_expires ELSE expires END, "
	 "prev_mac = ''::bytea, prev_expires = 0 "
	 "WHERE id = $1::text AND mac = decode($2, 'hex') AND status = 'pending'",
	 3},
    [PG_FAIL_PREV] = {"UPDATE verification SET prev_mac = ''::bytea, prev_expires = 0 "
		      "WHERE id = $1::text AND prev_mac = decode($2, 'hex')",
		      2},
    [PG_PURGE_SENDS] = {"DELETE FROM send WHERE id IN "
			"(SELECT id FROM send WHERE at < $1::bigint ORDER BY at LIMIT $2::int)",
			2},
    [PG_PURGE_FAILURES] =
	{"DELETE FROM failure WHERE id IN "
	 "(SELECT id FROM failure WHERE at < $1::bigint ORDER BY at LIMIT $2::int)",
	 2},
    [PG_COUNT_TEXTS] = {"SELECT count(*), min(at) FROM send "
			"WHERE phone = $2::text AND at > $1::bigint AND channel = 'sms'",
			2},
    [PG_COUNT_NET_TEXTS] = {"SELECT count(*), min(at) FROM send WHERE phone = $2::text "
			    "AND at > $1::bigint AND channel IN ('sms', 'refused') "
			    "AND net = $3::text",
			    3},
    [PG_COUNT_INBOUND] = {"SELECT count(*), min(at) FROM send "
			  "WHERE phone = $2::text AND at > $1::bigint AND channel = 'inbound'",
			  2},
    [PG_COUNT_NET_INBOUND] = {"SELECT count(*), min(at) FROM send WHERE phone = $2::text "
			      "AND at > $1::bigint AND channel = 'inbound' AND net = $3::text",
			      3},
    [PG_PHONE_ATTEMPTS] = {"SELECT max(attempts), max(expires) FROM verification "
			   "WHERE phone = $1::text AND status != 'used' AND expires > $2::bigint "
			   "AND net = $3::text",
			   3},
    [PG_COUNT_CLIENT] = {"SELECT count(*), min(at) FROM send WHERE client = $2::text "
			 "AND at > $1::bigint AND channel != 'inbound'",
			 2},
    [PG_COUNT_CLIENT_INBOUND] = {"SELECT count(*), min(at) FROM send WHERE client = $2::text "
				 "AND at > $1::bigint AND channel = 'inbound'",
				 2},
    [PG_COUNT_NET_UNVERIFIED] = {"SELECT count(*), min(at) FROM send s WHERE s.net = $2::text "
				 "AND s.at > $1::bigint AND s.channel IN ('sms', 'refused') "
				 "AND NOT EXISTS (SELECT 1 FROM verified v WHERE v.phone = s.phone "
				 "AND v.at >= s.at AND v.channel = 'sms')",
				 2},
    [PG_COUNT_COUNTRY] = {"SELECT coalesce(sum(n), 0), min(minute) * 60 FROM send_minute "
			  "WHERE scope = $2::text AND minute > $1::bigint / 60",
			  2},
    [PG_COUNT_ALL] = {"SELECT coalesce(sum(n), 0), min(minute) * 60 FROM send_minute "
		      "WHERE scope = '*' AND minute > $1::bigint / 60",
		      1},
    [PG_ADD_SEND] = {"INSERT INTO send (at, phone, client, country, channel, prefix, cc, net) "
		     "VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8)",
		     8},
    [PG_COUNT_FAILURES] = {"SELECT count(*), min(at) FROM failure WHERE phone = $2::text "
			   "AND at > $1::bigint",
			   2},
    [PG_COUNT_NET_FAILURES] = {"SELECT count(*), min(at) FROM failure WHERE phone = $2::text "
			       "AND at > $1::bigint AND net = $3::text",
			       3},
    [PG_ADD_FAILURE] = {"INSERT INTO failure (at, phone, net) VALUES ($1::bigint, $2, $3)", 3},
    /* The trigger send_counted moves the minute counts with the channel. */
    [PG_UNSEND] = {"UPDATE send SET channel = 'refused' WHERE id = (SELECT id FROM send "
		   "WHERE phone = $2::text AND at = $1::bigint AND client = $3::text "
		   "AND channel = 'sms' LIMIT 1)",
		   3},
    [PG_ADD_VERIFIED] = {"INSERT INTO verified (at, phone, prefix, cc, channel) "
			 "VALUES ($1::bigint, $2, $3, $4, $5)",
			 5},
    [PG_ADD_REFUSAL] = {"INSERT INTO refusal AS r (minute, kind, prefix, n) "
			"VALUES ($1::bigint / 60, $2, $3, 1) "
			"ON CONFLICT (minute, kind, prefix) DO UPDATE SET n = r.n + 1",
			3},
    [PG_CONVERSION] =
	{"SELECT count(*) FILTER (WHERE at <= $3::bigint), "
	 "count(*) FILTER (WHERE at <= $3::bigint AND ok), "
	 "count(DISTINCT net) FILTER (WHERE at <= $3::bigint AND NOT ok), "
	 "count(*) FILTER (WHERE at > $3::bigint AND NOT ok), "
	 "count(DISTINCT net) FILTER (WHERE at > $3::bigint AND NOT ok) "
	 "FROM (SELECT s.at, s.net, EXISTS (SELECT 1 FROM verified v WHERE v.phone = s.phone "
	 "AND v.at >= s.at AND v.channel = 'sms') AS ok "
	 "FROM send s WHERE s.prefix = $1::text AND s.at > $2::bigint AND s.channel = 'sms') AS c",
	 3},
    [PG_LIFTED] = {"SELECT coalesce(max(created), 0) FROM block "
		   "WHERE prefix = $1::text AND reason = 'lifted'",
		   1},
    [PG_SPEND] = {"SELECT (SELECT count(*) FROM send WHERE at > $1::bigint AND channel = 'sms'), "
		  "(SELECT count(*) FROM message WHERE sent_at > $1::bigint "
		  "AND cost_micros IS NOT NULL AND currency = $2::text), "
		  "(SELECT coalesce(sum(cost_micros), 0) FROM message WHERE sent_at > $1::bigint "
		  "AND cost_micros IS NOT NULL AND currency = $2::text)",
		  2},
    [PG_BLOCK_FIND] = {"SELECT prefix, until, reason, created FROM block "
		       "WHERE until > $2::bigint AND reason != 'lifted' "
		       "AND left($1::text, length(prefix)) = prefix "
		       "ORDER BY length(prefix) DESC LIMIT 1",
		       2},
    [PG_BLOCK_SET] =
	{"INSERT INTO block (prefix, until, reason, created) "
	 "VALUES ($1, $2::bigint, $3, $4::bigint) ON CONFLICT (prefix) DO UPDATE SET "
	 "until = EXCLUDED.until, reason = EXCLUDED.reason, created = EXCLUDED.created",
	 4},
    [PG_BLOCK_END] = {"UPDATE block SET reason = 'lifted', created = $2::bigint, "
		      "until = $2::bigint + $3::bigint "
		      "WHERE prefix = $1::text AND reason != 'lifted' AND until > $2::bigint",
		      3},
    [PG_BLOCKS] = {"SELECT prefix, until, reason, created FROM block WHERE until > $1::bigint "
		   "AND reason != 'lifted' ORDER BY until DESC, prefix COLLATE \"C\" LIMIT $2::int",
		   2},
    [PG_BLOCK_NETS] = {"SELECT s.net, count(*), count(*) OVER () FROM send s "
		       "WHERE s.prefix = $1::text AND s.at > $2::bigint AND s.at <= $3::bigint "
		       "AND s.channel = 'sms' AND NOT EXISTS (SELECT 1 FROM verified v "
		       "WHERE v.phone = s.phone AND v.at >= s.at AND v.at <= $4::bigint "
		       "AND v.channel = 'sms') "
		       "GROUP BY s.net ORDER BY count(*) DESC, s.net COLLATE \"C\" LIMIT $5::int",
		       5},
    [PG_PURGE_VERIFIED] =
	{"DELETE FROM verified WHERE id IN "
	 "(SELECT id FROM verified WHERE at < $1::bigint ORDER BY at LIMIT $2::int)",
	 2},
    [PG_PURGE_REFUSALS] = {"DELETE FROM refusal WHERE (minute, kind, prefix) IN "
			   "(SELECT minute, kind, prefix FROM refusal "
			   "WHERE minute < $1::bigint / 60 LIMIT $2::int)",
			   2},
    [PG_PURGE_BLOCKS] = {"DELETE FROM block WHERE prefix IN "
			 "(SELECT prefix FROM block WHERE until < $1::bigint LIMIT $2::int)",
			 2},
    [PG_UNLOCK_VERIFICATIONS] = {"UPDATE verification SET attempts = 0, status = 'failed' "
				 "WHERE phone = $1::text AND (status IN ('pending', 'locked') "
				 "OR (status = 'failed' AND attempts > 0))",
				 1},
    [PG_UNLOCK_NET_VERIFICATIONS] = {"UPDATE verification SET attempts = 0, status = 'failed' "
				     "WHERE phone = $1::text AND net = $2::text "
				     "AND (status IN ('pending', 'locked') "
				     "OR (status = 'failed' AND attempts > 0))",
				     2},
    [PG_UNLOCK_NET_FAILURES] = {"DELETE FROM failure WHERE phone = $1::text AND net = $2::text", 2},
    /* $1 now, $2 the window (not for the codes), then the limit and the most rows. */
    [PG_LOCKS_NET_FAILURES] = {"SELECT phone, net, count(*), min(at) + $2::bigint FROM failure "
			       "WHERE at > $1::bigint - $2::bigint GROUP BY phone, net "
			       "HAVING count(*) >= $3::bigint "
			       "ORDER BY phone COLLATE \"C\", net COLLATE \"C\" LIMIT $4::int",
			       4},
    [PG_LOCKS_FAILURES] =
	{"SELECT phone, '', count(*), min(at) + $2::bigint FROM failure "
	 "WHERE at > $1::bigint - $2::bigint GROUP BY phone "
	 "HAVING count(*) >= $3::bigint ORDER BY phone COLLATE \"C\" LIMIT $4::int",
	 4},
    [PG_LOCKS_CODES] =
	{"SELECT phone, net, count(*), max(expires) FROM verification "
	 "WHERE expires > $1::bigint AND status != 'used' AND attempts >= $2::bigint "
	 "GROUP BY phone, net "
	 "ORDER BY phone COLLATE \"C\", net COLLATE \"C\" LIMIT $3::int",
	 3},
    [PG_LOCKS_NET_TEXTS] = {"SELECT phone, net, count(*), min(at) + $2::bigint FROM send "
			    "WHERE at > $1::bigint - $2::bigint AND channel IN ('sms', 'refused') "
			    "GROUP BY phone, net HAVING count(*) >= $3::bigint "
			    "ORDER BY phone COLLATE \"C\", net COLLATE \"C\" LIMIT $4::int",
			    4},
    [PG_LOCKS_TEXTS] = {"SELECT phone, '', count(*), min(at) + $2::bigint FROM send "
			"WHERE at > $1::bigint - $2::bigint AND channel = 'sms' GROUP BY phone "
			"HAVING count(*) >= $3::bigint ORDER BY phone COLLATE \"C\" LIMIT $4::int",
			4},
    [PG_LOCK_NETS_FAILURES] = {"SELECT net, count(*), count(*) OVER () FROM failure "
			       "WHERE phone = $1::text AND at > $2::bigint GROUP BY net "
			       "ORDER BY count(*) DESC, net COLLATE \"C\" LIMIT $3::int",
			       3},
    [PG_LOCK_NETS_TEXTS] = {"SELECT net, count(*), count(*) OVER () FROM send "
			    "WHERE phone = $1::text AND at > $2::bigint AND channel = 'sms' "
			    "GROUP BY net ORDER BY count(*) DESC, net COLLATE \"C\" LIMIT $3::int",
			    3},
    [PG_FORGET_ASSERTIONS] = {"DELETE FROM assertion_used WHERE vid IN "
			      "(SELECT id FROM verification WHERE phone = $1::text)",
			      1},
    [PG_FORGET_MESSAGES] = {"DELETE FROM message WHERE phone = $1::text OR vid IN "
			    "(SELECT id FROM verification WHERE phone = $1::text)",
			    1},
    [PG_FORGET_VERIFICATIONS] = {"DELETE FROM verification WHERE phone = $1::text", 1},
    [PG_FORGET_SENDS] = {"DELETE FROM send WHERE phone = $1::text", 1},
    [PG_FORGET_FAILURES] = {"DELETE FROM failure WHERE phone = $1::text", 1},
    [PG_FORGET_VERIFIED] = {"DELETE FROM verified WHERE phone = $1::text", 1},
    [PG_FORGET_BLOCKS] = {"DELETE FROM block WHERE prefix = $1::text", 1},
    [PG_TOTALS] = {"SELECT (SELECT count(*) FROM send WHERE at > $1::bigint), "
		   "(SELECT count(*) FROM verified WHERE at > $1::bigint), "
		   "(SELECT count(*) FROM message WHERE sent_at > $1::bigint "
		   "AND status = 'delivered'), "
		   "(SELECT count(*) FROM message WHERE sent_at > $1::bigint AND status IN "
		   "('delivery_failed', 'sending_failed', 'expired')), "
		   "(SELECT coalesce(sum(n), 0) FROM refusal WHERE minute > $1::bigint / 60), "
		   "(SELECT coalesce(sum(cost_micros), 0) FROM message WHERE sent_at > $1::bigint "
		   "AND cost_micros IS NOT NULL AND currency = $2::text), "
		   "(SELECT count(*) FROM message WHERE sent_at > $1::bigint "
		   "AND cost_micros IS NOT NULL AND currency = $2::text)",
		   2},
    [PG_GROUPS_PREFIX] = {STORE_PG_GROUPS("prefix", "prefix", "NULL",
					  "sum(s) DESC, key COLLATE \"C\""),
			  3},
    [PG_GROUPS_COUNTRY] = {STORE_PG_GROUPS("cc", "NULL", "NULL", "sum(s) DESC, key COLLATE \"C\""),
			   3},
    [PG_GROUPS_HOUR] = {STORE_PG_GROUPS(STORE_PG_HOUR("at"), STORE_PG_HOUR("minute * 60"),
					STORE_PG_HOUR("sent_at"), "key COLLATE \"C\" DESC"),
			3},
    [PG_GROUPS_DAY] = {STORE_PG_GROUPS(STORE_PG_DAY("at"), STORE_PG_DAY("minute * 60"),
				       STORE_PG_DAY("sent_at"), "key COLLATE \"C\" DESC"),
		       3},
    [PG_REFUSAL_KINDS] = {"SELECT kind, sum(n) FROM refusal WHERE minute > $1::bigint / 60 "
			  "GROUP BY kind ORDER BY sum(n) DESC, kind COLLATE \"C\" LIMIT $2::int",
			  2},
    [PG_MARK_ASSERTION] = {"INSERT INTO assertion_used (vid, at) VALUES ($1, $2::bigint) "
			   "ON CONFLICT (vid) DO NOTHING",
			   2},
    [PG_PURGE_ASSERTIONS] = {"DELETE FROM assertion_used WHERE vid IN (SELECT vid FROM "
			     "assertion_used WHERE at < $1::bigint ORDER BY at LIMIT $2::int)",
			     2},
};

/* The handle: the front's part first, so that a struct store * is one. */
struct store_pg {
	struct store base;
	PGconn *conn;
};

/*
 * A statement's parameters, as text; NULL is SQL's NULL.  A parameter
 * past the room here is not stored but counted, so that store_pg_run()
 * refuses the statement for its wrong count.
 */
#define STORE_PG_MAXARGS 24
#define STORE_PG_MAXHEX  2
struct store_pg_args {
	const char *v[STORE_PG_MAXARGS];
	char num[STORE_PG_MAXARGS][24];
	char hex[STORE_PG_MAXHEX][2 * OTP_MAC_LEN + 1];
	int n, nhex;
};

static struct store_pg *
store_pg_of(struct store *st)
{
	return (struct store_pg *)st;
}

/* ---- loading libpq, connecting, making the schema ---------------------- */

/* Look name up in libpq into *fn.  Returns 0 or -1. */
static int
store_pg_sym(void *fn, const char *name)
{
	void *p = dlsym(pq.lib, name);

	/* POSIX guarantees a function pointer survives this round trip. */
	memcpy(fn, &p, sizeof(p));
	return p == NULL ? -1 : 0;
}

/* Load libpq once.  Returns 0, or -1 after logging. */
static int
store_pg_load(void)
{
	if (pq.lib != NULL)
		return 0;
	if ((pq.lib = dlopen(STORE_PG_LIBPQ, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_msg("cannot open database: cannot load %s (DATABASE_URL needs libpq5): %s",
			STORE_PG_LIBPQ, dlerror());
		return -1;
	}
	if (store_pg_sym(&pq.connectdb_params, "PQconnectdbParams") < 0 ||
	    store_pg_sym(&pq.status, "PQstatus") < 0 ||
	    store_pg_sym(&pq.error_message, "PQerrorMessage") < 0 ||
	    store_pg_sym(&pq.finish, "PQfinish") < 0 || store_pg_sym(&pq.exec, "PQexec") < 0 ||
	    store_pg_sym(&pq.exec_params, "PQexecParams") < 0 ||
	    store_pg_sym(&pq.result_status, "PQresultStatus") < 0 ||
	    store_pg_sym(&pq.result_error_field, "PQresultErrorField") < 0 ||
	    store_pg_sym(&pq.ntuples, "PQntuples") < 0 ||
	    store_pg_sym(&pq.getvalue, "PQgetvalue") < 0 ||
	    store_pg_sym(&pq.getisnull, "PQgetisnull") < 0 ||
	    store_pg_sym(&pq.nfields, "PQnfields") < 0 ||
	    store_pg_sym(&pq.cmd_tuples, "PQcmdTuples") < 0 ||
	    store_pg_sym(&pq.clear, "PQclear") < 0 ||
	    store_pg_sym(&pq.transaction_status, "PQtransactionStatus") < 0 ||
	    store_pg_sym(&pq.set_notice_processor, "PQsetNoticeProcessor") < 0 ||
	    store_pg_sym(&pq.consume_input, "PQconsumeInput") < 0 ||
	    store_pg_sym(&pq.conninfo_parse, "PQconninfoParse") < 0 ||
	    store_pg_sym(&pq.conninfo_free, "PQconninfoFree") < 0 ||
	    store_pg_sym(&pq.freemem, "PQfreemem") < 0) {
		log_msg("cannot open database: %s lacks a function", STORE_PG_LIBPQ);
		dlclose(pq.lib);
		pq.lib = NULL;
		return -1;
	}
	return 0;
}

/*
 * The first line of a libpq message, for one log line, with secret (the
 * URL's password, or NULL) starred out wherever libpq quoted it: neither
 * the URL nor its password is ever logged.
 */
static void
store_pg_log_hiding(const char *what, const char *msg, const char *secret)
{
	char line[512], *p;
	size_t n = secret != NULL ? strlen(secret) : 0;
	int len = (int)strcspn(msg != NULL ? msg : "", "\n");

	snprintf(line, sizeof(line), "%.*s", len, msg != NULL && len > 0 ? msg : "(no message)");
	for (p = n > 0 ? strstr(line, secret) : NULL; p != NULL; p = strstr(p + 3, secret)) {
		memmove(p + 3, p + n, strlen(p + n) + 1);
		memcpy(p, "***", 3);
	}
	log_msg("%s: %s", what, line);
	explicit_bzero(line, sizeof(line));
}

static void
store_pg_log(const char *what, const char *msg)
{
	store_pg_log_hiding(what, msg, NULL);
}

/* The sslmode values libpq knows. */
static int
store_pg_sslmode_ok(const char *v)
{
	static const char *const modes[] = {"disable", "allow",     "prefer",
					    "require", "verify-ca", "verify-full"};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(v, modes[i]))
			return 1;
	return 0;
}

/*
 * Check url with libpq's own parser (PQconninfoParse) and the sslmode it
 * sets; its password into secret (secret_size bytes; "" if none).
 * Returns 0, or -1 with why: libpq's reason without the part of the URL it
 * quotes (which may be the password), never the URL.
 */
static int
store_pg_url(const char *url, char *why, size_t size, char *secret, size_t secret_size)
{
	PQconninfoOption *o, *opts;
	char *err = NULL;
	int rc = 0;

	secret[0] = '\0';
	if ((opts = pq.conninfo_parse(url, &err)) == NULL) {
		/* libpq's reasons read "invalid percent-encoded token: \"...\"":
		 * the words before the quoted URL. */
		const char *msg = err != NULL ? err : "out of memory";
		const char *q = strstr(msg, ": \"");

		snprintf(why, size, "is not a valid connection URI (%.*s)",
			 (int)(q != NULL ? (size_t)(q - msg) : strcspn(msg, "\n\"")), msg);
		if (err != NULL)
			pq.freemem(err);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (!strcmp(o->keyword, "password"))
			snprintf(secret, secret_size, "%s", o->val);
		else if (!strcmp(o->keyword, "sslmode") && !store_pg_sslmode_ok(o->val)) {
			snprintf(why, size,
				 "has an unknown sslmode (disable, allow, prefer, require, "
				 "verify-ca or verify-full)");
			rc = -1;
		}
	}
	pq.conninfo_free(opts);
	return rc;
}

int
store_pg_check_url(const char *url, char *why, size_t size)
{
	char secret[256];
	int rc;

	if (store_pg_load() < 0) {
		snprintf(why, size, "needs libpq5, which cannot be loaded");
		return -1;
	}
	rc = store_pg_url(url, why, size, secret, sizeof(secret));
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

/* Log a failed result's message and SQLSTATE. */
static void
store_pg_log_result(const char *what, const PGresult *res, PGconn *conn)
{
	const char *state = res != NULL ? pq.result_error_field(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? pq.result_error_field(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char line[512];

	if (msg == NULL)
		msg = pq.error_message(conn);
	snprintf(line, sizeof(line), "%.*s%s%s%s", (int)strcspn(msg != NULL ? msg : "", "\n"),
		 msg != NULL ? msg : "", state != NULL ? " (SQLSTATE " : "",
		 state != NULL ? state : "", state != NULL ? ")" : "");
	store_pg_log(what, line);
}

/* Notices (a NOTICE from the server) are not the visitor's business. */
static void
store_pg_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("database notice: %.*s", (int)strcspn(message, "\n"), message);
}

/*
 * Run sql, one or more statements without parameters.  Returns the last
 * result (the caller clears it), or NULL after logging, unless the error
 * is the SQLSTATE quiet (then *hit is set, nothing logged).
 */
static PGresult *
store_pg_simple(PGconn *conn, const char *sql, const char *quiet, int *hit)
{
	PGresult *res = pq.exec(conn, sql);
	ExecStatusType s = res != NULL ? pq.result_status(res) : PGRES_FATAL_ERROR;
	const char *state;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return res;
	state = res != NULL ? pq.result_error_field(res, PG_DIAG_SQLSTATE) : NULL;
	if (quiet != NULL && state != NULL && !strcmp(state, quiet))
		*hit = 1;
	else
		store_pg_log_result("database error", res, conn);
	pq.clear(res);
	return NULL;
}

/* The database's schema version: 0 when it has none, -1 after logging.
 * Sets the session's timeouts too. */
static int
store_pg_version(PGconn *conn)
{
	int missing = 0, v = -1;
	PGresult *res = store_pg_simple(conn, STORE_PG_SETUP "SELECT max(version) FROM otp_schema",
					"42P01" /* undefined_table */, &missing);

	if (res != NULL) {
		v = pq.ntuples(res) == 1 && !pq.getisnull(res, 0, 0) ? atoi(pq.getvalue(res, 0, 0))
								     : 0;
		pq.clear(res);
	} else if (missing)
		v = 0;
	return v;
}

/*
 * Make the schema, or bring an older one up to date, under the schema
 * lock: of many programs at once, the first makes it and the others find
 * it made.  Returns 0, or -1 after logging.
 */
static int
store_pg_make(PGconn *conn)
{
	PGresult *res;
	int v, from;

	if ((res = store_pg_simple(conn,
				   "BEGIN; SELECT pg_advisory_xact_lock(" STORE_PG_LOCK_SCHEMA ")",
				   NULL, NULL)) == NULL)
		return -1;
	pq.clear(res);
	if ((res = store_pg_simple(conn, "SELECT to_regclass('otp_schema') IS NOT NULL", NULL,
				   NULL)) == NULL)
		goto out;
	v = !strcmp(pq.getvalue(res, 0, 0), "t") ? 1 : 0;
	pq.clear(res);
	if (v == 0) {
		/* None yet: the whole schema, in this transaction. */
		if ((res = store_pg_simple(conn, store_pg_schema, NULL, NULL)) == NULL)
			goto out;
		pq.clear(res);
	} else {
		/* An older one: the steps it lacks, unless another did them meanwhile. */
		if ((res = store_pg_simple(conn, "SELECT max(version) FROM otp_schema", NULL,
					   NULL)) == NULL)
			goto out;
		v = pq.ntuples(res) == 1 ? atoi(pq.getvalue(res, 0, 0)) : 0;
		pq.clear(res);
		if (v < STORE_PG_FIRST) {
			log_msg("database schema version %d is not one this program knows", v);
			goto out;
		}
		for (from = v; v < STORE_PG_VERSION; v++) {
			if ((res = store_pg_simple(conn, store_pg_steps[v + 1], NULL, NULL)) ==
			    NULL)
				goto out;
			pq.clear(res);
		}
		if (from < v)
			log_msg("database schema upgraded from version %d to %d", from, v);
	}
	/* Made, or brought up to date, here or by another meanwhile. */
	if ((res = store_pg_simple(conn, "COMMIT", NULL, NULL)) == NULL)
		goto out;
	pq.clear(res);
	return 0;
out:
	if ((res = pq.exec(conn, "ROLLBACK")) != NULL)
		pq.clear(res);
	return -1;
}

static void store_pg_close(struct store *st);

static struct store *
store_pg_open(const char *url)
{
	/* The URL's own connect_timeout wins: it comes later. */
	const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *const values[] = {STORE_PG_CONNECT_TIMEOUT, "otp", url, NULL};
	struct store_pg *pg;
	int v;

	char why[256], secret[256];

	if (store_pg_load() < 0)
		return NULL;
	if (store_pg_url(url, why, sizeof(why), secret, sizeof(secret)) < 0) {
		log_msg("cannot open database: DATABASE_URL %s", why);
		explicit_bzero(secret, sizeof(secret));
		return NULL;
	}
	pg = xcalloc(1, sizeof(*pg));
	pg->base.ops = &store_pg_ops;
	pg->conn = pq.connectdb_params(keys, values, 1);
	if (pg->conn == NULL || pq.status(pg->conn) != CONNECTION_OK) {
		store_pg_log_hiding("cannot open database",
				    pg->conn != NULL ? pq.error_message(pg->conn) : "out of memory",
				    secret);
		explicit_bzero(secret, sizeof(secret));
		goto fail;
	}
	explicit_bzero(secret, sizeof(secret));
	pq.set_notice_processor(pg->conn, store_pg_notice, NULL);
	if ((v = store_pg_version(pg->conn)) < 0)
		goto fail;
	if (v < STORE_PG_VERSION) {
		if (store_pg_make(pg->conn) < 0 || (v = store_pg_version(pg->conn)) < 0)
			goto fail;
	}
	if (v != STORE_PG_VERSION) {
		if (v > STORE_PG_VERSION)
			log_msg(
			    "database schema version %d is newer than this program (%d): upgrade "
			    "the programs",
			    v, STORE_PG_VERSION);
		else
			log_msg("database schema version %d is not one this program knows (%d)", v,
				STORE_PG_VERSION);
		goto fail;
	}
	return &pg->base;
fail:
	store_pg_close(&pg->base);
	return NULL;
}

static void
store_pg_close(struct store *st)
{
	struct store_pg *pg = store_pg_of(st);

	if (pg->conn != NULL)
		pq.finish(pg->conn);
	free(pg);
}

/*
 * Whether the connection a FastCGI process kept is no longer usable: the
 * server restarted, or closed it.  Reading what waits on the socket (it
 * does not block) finds the server's goodbye, so the request after a
 * restart connects afresh rather than fails.  A connection that dies
 * without a word (a failover) fails one request with a 503, and the next
 * connects afresh.
 */
static int
store_pg_stale(struct store *st)
{
	PGconn *conn = store_pg_of(st)->conn;

	/* The first read may bring the server's goodbye (a FATAL), the
	 * second the end of the connection after it. */
	return pq.consume_input(conn) == 0 || pq.consume_input(conn) == 0 ||
	       pq.status(conn) != CONNECTION_OK;
}

/* ---- statements -------------------------------------------------------- */

/* The index of the next parameter, or -1 when there is no room. */
static int
store_pg_slot(struct store_pg_args *a)
{
	return a->n < STORE_PG_MAXARGS ? a->n++ : (a->n = STORE_PG_MAXARGS + 1, -1);
}

static void
store_pg_text(struct store_pg_args *a, const char *s)
{
	int i = store_pg_slot(a);

	if (i >= 0)
		a->v[i] = s;
}

static void
store_pg_int(struct store_pg_args *a, long long x)
{
	int i = store_pg_slot(a);

	if (i < 0)
		return;
	snprintf(a->num[i], sizeof(a->num[i]), "%lld", x);
	a->v[i] = a->num[i];
}

/* A hash (or none, len 0) as hex, for decode($n, 'hex'). */
static void
store_pg_hex(struct store_pg_args *a, const unsigned char *mac, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *h;
	size_t i;

	if (a->nhex >= STORE_PG_MAXHEX) {
		a->n = STORE_PG_MAXARGS + 1;
		return;
	}
	h = a->hex[a->nhex++];
	for (i = 0; i < len && i < OTP_MAC_LEN; i++) {
		h[2 * i] = digits[mac[i] >> 4];
		h[2 * i + 1] = digits[mac[i] & 15];
	}
	h[2 * i] = '\0';
	store_pg_text(a, h);
}

/*
 * Run statement which with a's parameters.  Returns its result (the
 * caller clears it), or NULL after logging.
 */
static PGresult *
store_pg_run(struct store *st, enum store_pg_stmt which, const struct store_pg_args *a)
{
	PGconn *conn = store_pg_of(st)->conn;
	PGresult *res;
	ExecStatusType s;

	if (a->n > STORE_PG_MAXARGS || a->n != store_pg_sql[which].nparams) {
		log_msg("database error: statement %d given %d parameters, not %d", (int)which,
			a->n, store_pg_sql[which].nparams);
		return NULL;
	}
	res = pq.exec_params(conn, store_pg_sql[which].sql, a->n, NULL, a->v, NULL, NULL, 0);
	s = res != NULL ? pq.result_status(res) : PGRES_FATAL_ERROR;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return res;
	store_pg_log_result("database error", res, conn);
	pq.clear(res);
	return NULL;
}

/* Run which for no rows: the rows it changed, or -1. */
static long
store_pg_exec(struct store *st, enum store_pg_stmt which, const struct store_pg_args *a)
{
	PGresult *res = store_pg_run(st, which, a);
	long n;

	if (res == NULL)
		return -1;
	n = atol(pq.cmd_tuples(res));
	pq.clear(res);
	return n;
}

/* Column c of row r as an integer (NULL: 0); as text ("" for NULL). */
static long long
store_pg_ll(const PGresult *res, int r, int c)
{
	return pq.getisnull(res, r, c) ? 0 : strtoll(pq.getvalue(res, r, c), NULL, 10);
}

static const char *
store_pg_str(const PGresult *res, int r, int c)
{
	return pq.getisnull(res, r, c) ? "" : pq.getvalue(res, r, c);
}

/* Run which for its one row of k integers into out.  Returns 0 or -1. */
static int
store_pg_ints(struct store *st, enum store_pg_stmt which, const struct store_pg_args *a,
	      long long *out, int k)
{
	PGresult *res = store_pg_run(st, which, a);
	int i;

	if (res == NULL)
		return -1;
	if (pq.ntuples(res) != 1 || pq.nfields(res) < k) {
		log_msg("database error: statement %d returned no row", (int)which);
		pq.clear(res);
		return -1;
	}
	for (i = 0; i < k; i++)
		out[i] = store_pg_ll(res, 0, i);
	pq.clear(res);
	return 0;
}

static void store_pg_rollback(struct store *st);

static int
store_pg_begin(struct store *st)
{
	PGresult *res;

	/* A transaction some path left open would hold the write lock, and
	 * PostgreSQL only warns at a BEGIN inside it: end it. */
	if (pq.transaction_status(store_pg_of(st)->conn) != PQTRANS_IDLE) {
		log_msg("database: a transaction was left open; rolled back");
		store_pg_rollback(st);
	}
	res = store_pg_simple(store_pg_of(st)->conn,
			      "BEGIN; SELECT pg_advisory_xact_lock(" STORE_PG_LOCK_WRITE ")", NULL,
			      NULL);

	if (res == NULL)
		return -1;
	pq.clear(res);
	return 0;
}

static int
store_pg_commit(struct store *st)
{
	PGresult *res = store_pg_simple(store_pg_of(st)->conn, "COMMIT", NULL, NULL);

	if (res == NULL)
		return -1;
	pq.clear(res);
	return 0;
}

static void
store_pg_rollback(struct store *st)
{
	PGconn *conn = store_pg_of(st)->conn;
	PGresult *res;

	if (pq.transaction_status(conn) != PQTRANS_IDLE &&
	    (res = pq.exec(conn, "ROLLBACK")) != NULL)
		pq.clear(res);
}

static time_t
store_pg_now(struct store *st)
{
	struct store_pg_args a = {0};
	long long t;

	return store_pg_ints(st, PG_NOW, &a, &t, 1) < 0 ? (time_t)-1 : (time_t)t;
}

static int
store_pg_purge_one(struct store *st, enum store_pg_stmt which, time_t before)
{
	struct store_pg_args a = {0};

	store_pg_int(&a, (long long)before);
	store_pg_int(&a, OTP_PURGE_BATCH);
	return store_pg_exec(st, which, &a) < 0 ? -1 : 0;
}

static int
store_pg_purge(struct store *st, const struct store_cutoffs *before)
{
	if (store_pg_purge_one(st, PG_PURGE, before->verification) < 0 ||
	    store_pg_purge_one(st, PG_PURGE_SENDS, before->send) < 0 ||
	    store_pg_purge_one(st, PG_PURGE_FAILURES, before->failure) < 0 ||
	    store_pg_purge_one(st, PG_PURGE_ASSERTIONS, before->assertion) < 0 ||
	    store_pg_purge_one(st, PG_PURGE_MESSAGES, before->message) < 0 ||
	    store_pg_purge_one(st, PG_PURGE_EVENTS, before->event) < 0 ||
	    store_pg_purge_one(st, PG_PURGE_VERIFIED, before->verified) < 0 ||
	    store_pg_purge_one(st, PG_PURGE_REFUSALS, before->verified) < 0 ||
	    store_pg_purge_one(st, PG_PURGE_BLOCKS, before->block) < 0)
		return -1;
	return 0;
}

/* Hex of a hash into out, when it is a whole one.  1 or 0. */
static int
store_pg_unhex(const char *h, unsigned char out[OTP_MAC_LEN])
{
	unsigned char b[OTP_MAC_LEN];
	size_t i;

	if (strlen(h) != 2 * OTP_MAC_LEN)
		return 0;
	for (i = 0; i < OTP_MAC_LEN; i++) {
		unsigned int x;

		if (sscanf(h + 2 * i, "%2x", &x) != 1)
			return 0;
		b[i] = (unsigned char)x;
	}
	memcpy(out, b, OTP_MAC_LEN);
	return 1;
}

/* Row r (PG_GET's columns) into v. */
static void
store_pg_row(const PGresult *res, int r, struct verification *v)
{
	snprintf(v->id, sizeof(v->id), "%s", store_pg_str(res, r, 14));
	snprintf(v->phone, sizeof(v->phone), "%s", store_pg_str(res, r, 0));
	store_pg_unhex(store_pg_str(res, r, 1), v->mac);
	v->created = (time_t)store_pg_ll(res, r, 2);
	v->expires = (time_t)store_pg_ll(res, r, 3);
	v->attempts = (int)store_pg_ll(res, r, 4);
	v->status = store_status_parse(store_pg_str(res, r, 5));
	snprintf(v->message_id, sizeof(v->message_id), "%s", store_pg_str(res, r, 6));
	snprintf(v->return_to, sizeof(v->return_to), "%s", store_pg_str(res, r, 7));
	/* A previous code only with a whole hash. */
	if (store_pg_unhex(store_pg_str(res, r, 8), v->prev_mac))
		v->prev_expires = (time_t)store_pg_ll(res, r, 9);
	snprintf(v->shown, sizeof(v->shown), "%s", store_pg_str(res, r, 10));
	snprintf(v->delivery, sizeof(v->delivery), "%s", store_pg_str(res, r, 11));
	v->inbound = !strcmp(store_pg_str(res, r, 12), "inbound");
	v->approved_at = (time_t)store_pg_ll(res, r, 13);
	snprintf(v->prefix, sizeof(v->prefix), "%s", store_pg_str(res, r, 15));
	snprintf(v->cc, sizeof(v->cc), "%s", store_pg_str(res, r, 16));
	snprintf(v->lang, sizeof(v->lang), "%s", store_pg_str(res, r, 17));
	snprintf(v->net, sizeof(v->net), "%s", store_pg_str(res, r, 18));
}

static int
store_pg_get(struct store *st, const char *id, struct verification *v)
{
	struct store_pg_args a = {0};
	PGresult *res;
	int found;

	store_pg_text(&a, id);
	if ((res = store_pg_run(st, PG_GET, &a)) == NULL)
		return -1;
	if ((found = pq.ntuples(res) > 0))
		store_pg_row(res, 0, v);
	pq.clear(res);
	return found;
}

static int
store_pg_inbound_live(struct store *st, const char *phone, time_t now, struct verification *out,
		      int max)
{
	struct store_pg_args a = {0};
	PGresult *res;
	int n, i;

	store_pg_text(&a, phone);
	store_pg_int(&a, (long long)now);
	store_pg_int(&a, max);
	if ((res = store_pg_run(st, PG_INBOUND_LIVE, &a)) == NULL)
		return -1;
	for (n = pq.ntuples(res), i = 0; i < n && i < max; i++)
		store_pg_row(res, i, &out[i]);
	pq.clear(res);
	return i;
}

static int
store_pg_put(struct store *st, const struct verification *v)
{
	struct store_pg_args a = {0};

	store_pg_text(&a, v->id);
	store_pg_text(&a, v->phone);
	store_pg_hex(&a, v->mac, OTP_MAC_LEN);
	store_pg_int(&a, (long long)v->created);
	store_pg_int(&a, (long long)v->expires);
	store_pg_int(&a, v->attempts);
	store_pg_text(&a, store_status_name(v->status));
	store_pg_text(&a, v->message_id);
	store_pg_text(&a, v->return_to);
	store_pg_hex(&a, v->prev_mac, v->prev_expires > 0 ? OTP_MAC_LEN : 0);
	store_pg_int(&a, (long long)(v->prev_expires > 0 ? v->prev_expires : 0));
	store_pg_text(&a, v->shown);
	store_pg_text(&a, v->inbound ? "inbound" : "sms");
	store_pg_int(&a, (long long)v->approved_at);
	store_pg_text(&a, v->prefix);
	store_pg_text(&a, v->cc);
	store_pg_text(&a, v->lang);
	store_pg_text(&a, v->net);
	return store_pg_exec(st, PG_PUT, &a) < 0 ? -1 : 0;
}

static int
store_pg_set_message_id(struct store *st, const char *id, const char *message_id, const char *phone,
			time_t now)
{
	struct store_pg_args a = {0}, m = {0};

	store_pg_text(&a, id);
	store_pg_text(&a, message_id);
	if (store_pg_exec(st, PG_SET_MESSAGE_ID, &a) < 0)
		return -1;
	if (phone == NULL)
		return 0;
	store_pg_text(&m, message_id);
	store_pg_text(&m, id);
	store_pg_text(&m, phone);
	store_pg_int(&m, (long long)now);
	return store_pg_exec(st, PG_ADD_MESSAGE, &m) < 0 ? -1 : 0;
}

static int
store_pg_receipt(struct store *st, const struct store_receipt *r, time_t now)
{
	struct store_pg_args a = {0};

	store_pg_text(&a, r->message_id);
	store_pg_text(&a, r->phone);
	store_pg_text(&a, r->status);
	store_pg_int(&a, r->stage);
	store_pg_text(&a, r->error_code);
	if (r->cost_micros >= 0)
		store_pg_int(&a, r->cost_micros);
	else
		store_pg_text(&a, NULL);
	store_pg_text(&a, r->currency);
	store_pg_int(&a, r->parts);
	store_pg_text(&a, r->carrier);
	store_pg_text(&a, r->line_type);
	store_pg_int(&a, (long long)now);
	return store_pg_exec(st, PG_RECEIPT, &a) < 0 ? -1 : 0;
}

/* A key taken once (INSERT ... DO NOTHING): 1 the first time, 0 if it
 * was taken already, -1 on error. */
static int
store_pg_once(struct store *st, enum store_pg_stmt which, const char *key, time_t now)
{
	struct store_pg_args a = {0};
	long n;

	store_pg_text(&a, key);
	store_pg_int(&a, (long long)now);
	if ((n = store_pg_exec(st, which, &a)) < 0)
		return -1;
	return n == 1 ? 1 : 0;
}

static int
store_pg_event_new(struct store *st, const char *event_id, time_t now)
{
	return store_pg_once(st, PG_EVENT_NEW, event_id, now);
}

static int
store_pg_fail(struct store *st, const char *id, const unsigned char mac[OTP_MAC_LEN], time_t now)
{
	struct store_pg_args a = {0}, p = {0};

	store_pg_text(&a, id);
	store_pg_hex(&a, mac, OTP_MAC_LEN);
	store_pg_int(&a, (long long)now);
	if (store_pg_exec(st, PG_FAIL, &a) < 0)
		return -1;
	/* mac is one of the two, never both: the order does not matter. */
	store_pg_text(&p, id);
	store_pg_hex(&p, mac, OTP_MAC_LEN);
	return store_pg_exec(st, PG_FAIL_PREV, &p) < 0 ? -1 : 0;
}

static int
store_pg_count(struct store *st, enum store_scope scope, const char *key, const char *net,
	       time_t since, struct store_count *out)
{
	static const enum store_pg_stmt which[] = {
	    [SCOPE_TEXTS] = PG_COUNT_TEXTS,
	    [SCOPE_NET_TEXTS] = PG_COUNT_NET_TEXTS,
	    [SCOPE_INBOUND] = PG_COUNT_INBOUND,
	    [SCOPE_NET_INBOUND] = PG_COUNT_NET_INBOUND,
	    [SCOPE_CLIENT] = PG_COUNT_CLIENT,
	    [SCOPE_CLIENT_INBOUND] = PG_COUNT_CLIENT_INBOUND,
	    [SCOPE_NET_UNVERIFIED] = PG_COUNT_NET_UNVERIFIED,
	    [SCOPE_COUNTRY] = PG_COUNT_COUNTRY,
	    [SCOPE_ALL] = PG_COUNT_ALL,
	    [SCOPE_FAILURES] = PG_COUNT_FAILURES,
	    [SCOPE_NET_FAILURES] = PG_COUNT_NET_FAILURES,
	};
	struct store_pg_args a = {0};
	long long n[2];

	store_pg_int(&a, (long long)since);
	if (key != NULL)
		store_pg_text(&a, key);
	if (store_pg_sql[which[scope]].nparams == 3)
		store_pg_text(&a, net);
	if (store_pg_ints(st, which[scope], &a, n, 2) < 0)
		return -1;
	out->n = (long)n[0];
	out->oldest = (time_t)n[1];
	return 0;
}

static int
store_pg_phone_attempts(struct store *st, const char *phone, const char *net, time_t now, int *n,
			time_t *expires)
{
	struct store_pg_args a = {0};
	long long r[2];

	store_pg_text(&a, phone);
	store_pg_int(&a, (long long)now);
	store_pg_text(&a, net);
	if (store_pg_ints(st, PG_PHONE_ATTEMPTS, &a, r, 2) < 0)
		return -1;
	*n = (int)r[0];
	*expires = (time_t)r[1];
	return 0;
}

static int
store_pg_add_send(struct store *st, time_t now, const struct store_send *send)
{
	struct store_pg_args a = {0};

	store_pg_int(&a, (long long)now);
	store_pg_text(&a, send->phone);
	store_pg_text(&a, send->client);
	store_pg_text(&a, send->country);
	store_pg_text(&a, send->inbound ? "inbound" : "sms");
	store_pg_text(&a, send->prefix != NULL ? send->prefix : "");
	store_pg_text(&a, send->cc != NULL ? send->cc : "");
	store_pg_text(&a, send->net != NULL ? send->net : "");
	return store_pg_exec(st, PG_ADD_SEND, &a) < 0 ? -1 : 0;
}

static int
store_pg_unsend(struct store *st, time_t at, const char *phone, const char *client)
{
	struct store_pg_args a = {0};

	store_pg_int(&a, (long long)at);
	store_pg_text(&a, phone);
	store_pg_text(&a, client);
	return store_pg_exec(st, PG_UNSEND, &a) < 0 ? -1 : 0;
}

static int
store_pg_add_verified(struct store *st, time_t now, const struct verification *v)
{
	struct store_pg_args a = {0};

	store_pg_int(&a, (long long)now);
	store_pg_text(&a, v->phone);
	store_pg_text(&a, v->prefix);
	store_pg_text(&a, v->cc);
	store_pg_text(&a, v->inbound ? "inbound" : "sms");
	return store_pg_exec(st, PG_ADD_VERIFIED, &a) < 0 ? -1 : 0;
}

static int
store_pg_add_refusal(struct store *st, time_t now, const char *kind, const char *phone,
		     const char *prefix)
{
	struct store_pg_args a = {0};

	(void)phone; /* counted per prefix: the number is not kept */
	store_pg_int(&a, (long long)now);
	store_pg_text(&a, kind);
	store_pg_text(&a, prefix);
	return store_pg_exec(st, PG_ADD_REFUSAL, &a) < 0 ? -1 : 0;
}

static int
store_pg_add_failure(struct store *st, time_t now, const char *phone, const char *net)
{
	struct store_pg_args a = {0};

	store_pg_int(&a, (long long)now);
	store_pg_text(&a, phone);
	store_pg_text(&a, net);
	return store_pg_exec(st, PG_ADD_FAILURE, &a) < 0 ? -1 : 0;
}

static int
store_pg_lifted(struct store *st, const char *prefix, time_t *at)
{
	struct store_pg_args a = {0};
	long long n;

	store_pg_text(&a, prefix);
	if (store_pg_ints(st, PG_LIFTED, &a, &n, 1) < 0)
		return -1;
	*at = (time_t)n;
	return 0;
}

static int
store_pg_conversion(struct store *st, const char *prefix, time_t since, time_t mature,
		    struct store_conversion *out)
{
	struct store_pg_args a = {0};
	long long n[5];

	store_pg_text(&a, prefix);
	store_pg_int(&a, (long long)since);
	store_pg_int(&a, (long long)mature);
	if (store_pg_ints(st, PG_CONVERSION, &a, n, 5) < 0)
		return -1;
	out->sends = (long)n[0];
	out->verified = (long)n[1];
	out->nets = (long)n[2];
	out->fresh = (long)n[3];
	out->fresh_nets = (long)n[4];
	return 0;
}

/* The one row of k integers of which ($1 since, $2 currency) into n. */
static int
store_pg_since(struct store *st, enum store_pg_stmt which, time_t since, const char *currency,
	       long long *n, int k)
{
	struct store_pg_args a = {0};

	store_pg_int(&a, (long long)since);
	store_pg_text(&a, currency);
	return store_pg_ints(st, which, &a, n, k);
}

static int
store_pg_spend(struct store *st, time_t since, const char *currency, long long estimate,
	       long long *micros)
{
	long long n[3];

	if (store_pg_since(st, PG_SPEND, since, currency, n, 3) < 0)
		return -1;
	/* Reported costs, and the estimate for every text sent with none. */
	*micros = n[2] + (n[0] > n[1] ? (n[0] - n[1]) * estimate : 0);
	return 0;
}

/* Row r of a block query into b. */
static void
store_pg_block_row(const PGresult *res, int r, struct store_block *b)
{
	snprintf(b->prefix, sizeof(b->prefix), "%s", store_pg_str(res, r, 0));
	b->until = (time_t)store_pg_ll(res, r, 1);
	snprintf(b->reason, sizeof(b->reason), "%s", store_pg_str(res, r, 2));
	b->created = (time_t)store_pg_ll(res, r, 3);
}

/* Run a block query into out (at most max rows): how many, or -1. */
static int
store_pg_block_rows(struct store *st, enum store_pg_stmt which, const struct store_pg_args *a,
		    struct store_block *out, int max)
{
	PGresult *res = store_pg_run(st, which, a);
	int n, i;

	if (res == NULL)
		return -1;
	for (n = pq.ntuples(res), i = 0; i < n && i < max; i++)
		store_pg_block_row(res, i, &out[i]);
	pq.clear(res);
	return i;
}

static int
store_pg_block_find(struct store *st, const char *phone, time_t now, struct store_block *b)
{
	struct store_pg_args a = {0};

	store_pg_text(&a, phone);
	store_pg_int(&a, (long long)now);
	return store_pg_block_rows(st, PG_BLOCK_FIND, &a, b, 1);
}

static int
store_pg_block_set(struct store *st, const struct store_block *b)
{
	struct store_pg_args a = {0};

	store_pg_text(&a, b->prefix);
	store_pg_int(&a, (long long)b->until);
	store_pg_text(&a, b->reason);
	store_pg_int(&a, (long long)b->created);
	return store_pg_exec(st, PG_BLOCK_SET, &a) < 0 ? -1 : 0;
}

/* Run the one-key statement which on key: the rows it changed, or -1. */
static long
store_pg_changes(struct store *st, enum store_pg_stmt which, const char *key)
{
	struct store_pg_args a = {0};

	store_pg_text(&a, key);
	return store_pg_exec(st, which, &a);
}

static int
store_pg_block_end(struct store *st, const char *prefix, time_t now)
{
	struct store_pg_args a = {0};
	long n;

	store_pg_text(&a, prefix);
	store_pg_int(&a, (long long)now);
	store_pg_int(&a, OTP_DAY); /* the longest CONVERSION_WINDOW */
	if ((n = store_pg_exec(st, PG_BLOCK_END, &a)) < 0)
		return -1;
	return n > 0;
}

static int
store_pg_blocks(struct store *st, time_t now, struct store_block *out, int max)
{
	struct store_pg_args a = {0};

	store_pg_int(&a, (long long)now);
	store_pg_int(&a, max);
	return store_pg_block_rows(st, PG_BLOCKS, &a, out, max);
}

/* Run the statement which on phone and net: the rows it changed, or -1. */
static long
store_pg_changes_net(struct store *st, enum store_pg_stmt which, const char *phone, const char *net)
{
	struct store_pg_args a = {0};

	store_pg_text(&a, phone);
	store_pg_text(&a, net);
	return store_pg_exec(st, which, &a);
}

static int
store_pg_unlock(struct store *st, const char *phone, const char *net, long *verifications,
		long *failures)
{
	if (net != NULL) {
		if ((*verifications =
			 store_pg_changes_net(st, PG_UNLOCK_NET_VERIFICATIONS, phone, net)) < 0 ||
		    (*failures = store_pg_changes_net(st, PG_UNLOCK_NET_FAILURES, phone, net)) < 0)
			return -1;
		return 0;
	}
	if ((*verifications = store_pg_changes(st, PG_UNLOCK_VERIFICATIONS, phone)) < 0 ||
	    (*failures = store_pg_changes(st, PG_FORGET_FAILURES, phone)) < 0)
		return -1;
	return 0;
}

/* Run a query of a network and two integers (its count, then how many
 * networks in all) into out (at most max rows): how many, or -1. */
static int
store_pg_net_rows(struct store *st, enum store_pg_stmt which, const struct store_pg_args *a,
		  struct store_net *out, int max, long *total)
{
	PGresult *res = store_pg_run(st, which, a);
	int n, i;

	if (res == NULL)
		return -1;
	for (n = pq.ntuples(res), i = 0; i < n && i < max; i++) {
		snprintf(out[i].net, sizeof(out[i].net), "%s", store_pg_str(res, i, 0));
		out[i].n = (long)store_pg_ll(res, i, 1);
		*total = (long)store_pg_ll(res, i, 2);
	}
	pq.clear(res);
	return i;
}

static int
store_pg_block_nets(struct store *st, const char *prefix, time_t since, time_t mature, time_t at,
		    struct store_net *out, int max, long *total)
{
	struct store_pg_args a = {0};

	store_pg_text(&a, prefix);
	store_pg_int(&a, (long long)since);
	store_pg_int(&a, (long long)mature);
	store_pg_int(&a, (long long)at);
	store_pg_int(&a, max);
	return store_pg_net_rows(st, PG_BLOCK_NETS, &a, out, max, total);
}

static int
store_pg_locks(struct store *st, enum store_lock_kind kind, time_t now, long window, long limit,
	       struct store_lock *out, int max)
{
	static const enum store_pg_stmt which[] = {
	    [LOCK_NET_FAILURES] = PG_LOCKS_NET_FAILURES,
	    [LOCK_FAILURES] = PG_LOCKS_FAILURES,
	    [LOCK_CODE] = PG_LOCKS_CODES,
	    [LOCK_NET_TEXTS] = PG_LOCKS_NET_TEXTS,
	    [LOCK_TEXTS] = PG_LOCKS_TEXTS,
	};
	struct store_pg_args a = {0};
	PGresult *res;
	int n, i;

	store_pg_int(&a, (long long)now);
	if (kind != LOCK_CODE) /* a code is locked until it expires: no window */
		store_pg_int(&a, window);
	store_pg_int(&a, limit);
	store_pg_int(&a, max);
	if ((res = store_pg_run(st, which[kind], &a)) == NULL)
		return -1;
	for (n = pq.ntuples(res), i = 0; i < n && i < max; i++) {
		struct store_lock *l = &out[i];

		snprintf(l->phone, sizeof(l->phone), "%s", store_pg_str(res, i, 0));
		snprintf(l->net, sizeof(l->net), "%s", store_pg_str(res, i, 1));
		l->n = (long)store_pg_ll(res, i, 2);
		l->ends = (time_t)store_pg_ll(res, i, 3);
	}
	pq.clear(res);
	return i;
}

static int
store_pg_lock_nets(struct store *st, enum store_lock_kind kind, const char *phone, time_t since,
		   struct store_net *out, int max, long *total)
{
	struct store_pg_args a = {0};

	store_pg_text(&a, phone);
	store_pg_int(&a, (long long)since);
	store_pg_int(&a, max);
	return store_pg_net_rows(st,
				 kind == LOCK_FAILURES ? PG_LOCK_NETS_FAILURES : PG_LOCK_NETS_TEXTS,
				 &a, out, max, total);
}

static int
store_pg_forget(struct store *st, const char *phone, struct store_forgotten *out)
{
	/* The assertions and messages first: they are found through the verifications. */
	if ((out->assertion = store_pg_changes(st, PG_FORGET_ASSERTIONS, phone)) < 0 ||
	    (out->message = store_pg_changes(st, PG_FORGET_MESSAGES, phone)) < 0 ||
	    (out->verification = store_pg_changes(st, PG_FORGET_VERIFICATIONS, phone)) < 0 ||
	    (out->send = store_pg_changes(st, PG_FORGET_SENDS, phone)) < 0 ||
	    (out->failure = store_pg_changes(st, PG_FORGET_FAILURES, phone)) < 0 ||
	    (out->verified = store_pg_changes(st, PG_FORGET_VERIFIED, phone)) < 0 ||
	    (out->block = store_pg_changes(st, PG_FORGET_BLOCKS, phone)) < 0)
		return -1;
	return 0;
}

static int
store_pg_totals(struct store *st, time_t since, const char *currency, struct store_totals *t)
{
	long long n[7];

	if (store_pg_since(st, PG_TOTALS, since, currency, n, 7) < 0)
		return -1;
	t->sent = (long)n[0];
	t->verified = (long)n[1];
	t->delivered = (long)n[2];
	t->failed = (long)n[3];
	t->refused = (long)n[4];
	t->spend = n[5];
	t->costed = (long)n[6];
	return 0;
}

/* Rows of key, then integer columns, into out: how many, or -1. */
static int
store_pg_group_rows(struct store *st, enum store_pg_stmt which, const struct store_pg_args *a,
		    struct store_group_row *out, int max)
{
	PGresult *res = store_pg_run(st, which, a);
	int n, i, cols;

	if (res == NULL)
		return -1;
	cols = pq.nfields(res);
	for (n = pq.ntuples(res), i = 0; i < n && i < max; i++) {
		struct store_group_row *g = &out[i];

		snprintf(g->key, sizeof(g->key), "%s", store_pg_str(res, i, 0));
		g->sent = (long)store_pg_ll(res, i, 1);
		if (cols > 2) {
			g->verified = (long)store_pg_ll(res, i, 2);
			g->refused = (long)store_pg_ll(res, i, 3);
			g->spend = store_pg_ll(res, i, 4);
		}
	}
	pq.clear(res);
	return i;
}

static int
store_pg_groups(struct store *st, time_t since, enum store_group by, const char *currency,
		struct store_group_row *out, int max)
{
	static const enum store_pg_stmt which[] = {
	    [GROUP_PREFIX] = PG_GROUPS_PREFIX,
	    [GROUP_COUNTRY] = PG_GROUPS_COUNTRY,
	    [GROUP_HOUR] = PG_GROUPS_HOUR,
	    [GROUP_DAY] = PG_GROUPS_DAY,
	};
	struct store_pg_args a = {0};
	int n, i;

	store_pg_int(&a, (long long)since);
	store_pg_text(&a, currency);
	store_pg_int(&a, max);
	if ((n = store_pg_group_rows(st, which[by], &a, out, max)) > 1 &&
	    (by == GROUP_HOUR || by == GROUP_DAY))
		for (i = 0; i < n / 2; i++) {
			struct store_group_row t = out[i];

			out[i] = out[n - 1 - i];
			out[n - 1 - i] = t;
		}
	return n;
}

static int
store_pg_refusal_kinds(struct store *st, time_t since, struct store_group_row *out, int max)
{
	struct store_pg_args a = {0};

	store_pg_int(&a, (long long)since);
	store_pg_int(&a, max);
	return store_pg_group_rows(st, PG_REFUSAL_KINDS, &a, out, max);
}

static int
store_pg_mark_assertion(struct store *st, const char *vid, time_t now)
{
	return store_pg_once(st, PG_MARK_ASSERTION, vid, now);
}

const struct store_ops store_pg_ops = {
    .open = store_pg_open,
    .close = store_pg_close,
    .begin = store_pg_begin,
    .commit = store_pg_commit,
    .rollback = store_pg_rollback,
    .now = store_pg_now,
    .purge = store_pg_purge,
    .get = store_pg_get,
    .put = store_pg_put,
    .set_message_id = store_pg_set_message_id,
    .receipt = store_pg_receipt,
    .event_new = store_pg_event_new,
    .fail = store_pg_fail,
    .count = store_pg_count,
    .phone_attempts = store_pg_phone_attempts,
    .add_send = store_pg_add_send,
    .add_failure = store_pg_add_failure,
    .unsend = store_pg_unsend,
    .inbound_live = store_pg_inbound_live,
    .add_verified = store_pg_add_verified,
    .add_refusal = store_pg_add_refusal,
    .conversion = store_pg_conversion,
    .lifted = store_pg_lifted,
    .spend = store_pg_spend,
    .block_find = store_pg_block_find,
    .block_set = store_pg_block_set,
    .block_end = store_pg_block_end,
    .blocks = store_pg_blocks,
    .block_nets = store_pg_block_nets,
    .unlock = store_pg_unlock,
    .locks = store_pg_locks,
    .lock_nets = store_pg_lock_nets,
    .forget = store_pg_forget,
    .totals = store_pg_totals,
    .groups = store_pg_groups,
    .refusal_kinds = store_pg_refusal_kinds,
    .mark_assertion = store_pg_mark_assertion,
    .stale = store_pg_stale,
    .idle = NULL,
};
