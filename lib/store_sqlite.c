/*
 * The SQLite engine of the store (lib/store_engine.h).  Each CGI process
 * opens the file, runs one or two short transactions and exits, so: WAL
 * (readers never wait for the writer), a busy timeout (writers queue
 * instead of failing with "database is locked"), BEGIN IMMEDIATE (no
 * deadlock between two readers that both want to write), defensive mode
 * and untrusted schema.  Every statement is in store_sqlite_sql[] and
 * prepared on first use: nothing is built from strings.
 *
 * No process ever sees a file half made.  A new file is built whole
 * (schema, user_version, WAL mode) under a temporary name in the same
 * directory and link()ed into place: of many first requests at once, one
 * links its file and the others open it.  An existing file is only
 * opened, and if it is of an older version brought up to date by the
 * steps of sql/ (migrate-N.sql) in one exclusive transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "schema.h"
#include "store_engine.h"

/*
 * The steps from sql/: store_sqlite_steps[n] takes a file of version
 * n - 1 to version n and sets user_version to n.  Version 1 is the first
 * schema, and 0 a file without one.  sql/schema.sql is the whole of the
 * latest version, for new files.
 */
static const char *const store_sqlite_steps[] = {
    [2] = store_migrate_2, [3] = store_migrate_3, [4] = store_migrate_4, [5] = store_migrate_5,
    [6] = store_migrate_6, [7] = store_migrate_7, [8] = store_migrate_8, [9] = store_migrate_9,
};

#define STORE_VERSION ((int)(sizeof(store_sqlite_steps) / sizeof(store_sqlite_steps[0])) - 1)

/* An existing file only: a missing one is made by store_sqlite_create(). */
#define STORE_OPEN_FLAGS (SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW)

enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_GET,
	STMT_INBOUND_LIVE,
	STMT_PUT,
	STMT_PURGE,
	STMT_SET_MESSAGE_ID,
	STMT_ADD_MESSAGE,
	STMT_RECEIPT,
	STMT_EVENT_NEW,
	STMT_PURGE_MESSAGES,
	STMT_PURGE_EVENTS,
	STMT_FAIL,
	STMT_FAIL_PREV,
	STMT_PURGE_SENDS,
	STMT_PURGE_FAILURES,
	STMT_COUNT_TEXTS,
	STMT_COUNT_NET_TEXTS,
	STMT_COUNT_INBOUND,
	STMT_COUNT_NET_INBOUND,
	STMT_PHONE_ATTEMPTS,
	STMT_COUNT_CLIENT,
	STMT_COUNT_CLIENT_INBOUND,
	STMT_COUNT_NET_UNVERIFIED,
	STMT_COUNT_COUNTRY,
	STMT_COUNT_ALL,
	STMT_ADD_SEND,
	STMT_COUNT_FAILURES,
	STMT_COUNT_NET_FAILURES,
	STMT_ADD_FAILURE,
	STMT_UNSEND_COPY,
	STMT_UNSEND_DROP,
	STMT_ADD_VERIFIED,
	STMT_ADD_REFUSAL,
	STMT_CONVERSION,
	STMT_LIFTED,
	STMT_SPEND,
	STMT_BLOCK_FIND,
	STMT_BLOCK_SET,
	STMT_BLOCK_END,
	STMT_BLOCKS,
	STMT_BLOCK_NETS,
	STMT_PURGE_VERIFIED,
	STMT_PURGE_REFUSALS,
	STMT_PURGE_BLOCKS,
	STMT_UNLOCK_VERIFICATIONS,
	STMT_UNLOCK_NET_VERIFICATIONS,
	STMT_UNLOCK_NET_FAILURES,
	STMT_LOCKS_NET_FAILURES,
	STMT_LOCKS_FAILURES,
	STMT_LOCKS_CODES,
	STMT_LOCKS_NET_TEXTS,
	STMT_LOCKS_TEXTS,
	STMT_LOCK_NETS_FAILURES,
	STMT_LOCK_NETS_TEXTS,
	STMT_FORGET_ASSERTIONS,
	STMT_FORGET_MESSAGES,
	STMT_FORGET_VERIFICATIONS,
	STMT_FORGET_SENDS,
	STMT_FORGET_FAILURES,
	STMT_FORGET_VERIFIED,
	STMT_FORGET_BLOCKS,
	STMT_TOTALS,
	STMT_GROUPS_PREFIX,
	STMT_GROUPS_COUNTRY,
	STMT_GROUPS_HOUR,
	STMT_GROUPS_DAY,
	STMT_REFUSAL_KINDS,
	STMT_MARK_ASSERTION,
	STMT_PURGE_ASSERTIONS,
	STMT__MAX
};

/*
 * otp-admin's groups: key is an expression over send and verified (of their
 * at), rkey over refusal, mkey over message (of its sent_at); NULL leaves
 * that table out.  ?1 since, ?2 the currency, ?3 the most rows.
 */
#define STORE_GROUPS(key, rkey, mkey, order)                                                       \
	"SELECT key, sum(s), sum(v), sum(r), sum(c) FROM ("                                        \
	"SELECT " key " AS key, 1 AS s, 0 AS v, 0 AS r, 0 AS c FROM send WHERE at > ?1 "           \
	"UNION ALL SELECT " key ", 0, 1, 0, 0 FROM verified WHERE at > ?1 "                        \
	"UNION ALL SELECT " rkey ", 0, 0, n, 0 FROM refusal WHERE minute > ?1 / 60 "               \
	"AND " rkey " IS NOT NULL "                                                                \
	"UNION ALL SELECT " mkey ", 0, 0, 0, cost_micros FROM message WHERE sent_at > ?1 "         \
	"AND cost_micros IS NOT NULL AND currency = ?2 AND " mkey " IS NOT NULL) "                 \
	"GROUP BY key ORDER BY " order " LIMIT ?3"
#define STORE_HOUR(col) "strftime('%Y-%m-%dT%H:00Z', " col ", 'unixepoch')"
#define STORE_DAY(col)  "strftime('%Y-%m-%d', " col ", 'unixepoch')"

static const char *const store_sqlite_sql[STMT__MAX] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_GET] =
	"SELECT v.phone, v.mac, v.created, v.expires, v.attempts, v.status, "
	"v.message_id, v.return_to, v.prev_mac, v.prev_expires, v.shown, "
	"coalesce(m.status, ''), v.channel, v.approved_at, v.id, v.prefix, v.cc, v.lang, v.net "
	"FROM verification v "
	"LEFT JOIN message m ON v.message_id != '' AND m.id = v.message_id WHERE v.id = ?1",
    /* The same columns, for store_sqlite_row(). */
    [STMT_INBOUND_LIVE] =
	"SELECT v.phone, v.mac, v.created, v.expires, v.attempts, v.status, "
	"v.message_id, v.return_to, v.prev_mac, v.prev_expires, v.shown, '', "
	"v.channel, v.approved_at, v.id, v.prefix, v.cc, v.lang, v.net FROM verification v "
	"WHERE v.phone = ?1 AND v.channel = 'inbound' AND v.status = 'pending' "
	"AND v.expires > ?2 AND v.approved_at = 0 "
	"ORDER BY v.created DESC, v.rowid DESC LIMIT ?3",
    [STMT_PUT] =
	"INSERT INTO verification "
	"(id, phone, mac, created, expires, attempts, status, message_id, return_to, "
	"prev_mac, prev_expires, shown, channel, approved_at, prefix, cc, lang, net) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) "
	"ON CONFLICT (id) DO UPDATE SET phone = ?2, mac = ?3, created = ?4, "
	"expires = ?5, attempts = ?6, status = ?7, message_id = ?8, return_to = ?9, "
	"prev_mac = ?10, prev_expires = ?11, shown = ?12, channel = ?13, "
	"approved_at = ?14, prefix = ?15, cc = ?16, lang = ?17, net = ?18",
    /* Purges in batches: a request never deletes more than OTP_PURGE_BATCH rows of each. */
    [STMT_PURGE] = "DELETE FROM verification WHERE id IN "
		   "(SELECT id FROM verification WHERE expires < ?1 LIMIT ?2)",
    [STMT_SET_MESSAGE_ID] = "UPDATE verification SET message_id = ?2 WHERE id = ?1",
    /* A webhook may have come first: then the row is there, without its send. */
    [STMT_ADD_MESSAGE] = "INSERT INTO message (id, vid, phone, sent_at, updated) "
			 "VALUES (?1, ?2, ?3, ?4, ?4) "
			 "ON CONFLICT (id) DO UPDATE SET vid = ?2, phone = ?3, sent_at = ?4",
    /*
     * Every right-hand side reads the row as it was: the state and what
     * goes with it only from a report of a later stage, the cost from the
     * latest that has one, what does not change (carrier, parts) once.
     */
    [STMT_RECEIPT] =
	"INSERT INTO message (id, phone, status, stage, error_code, cost_micros, "
	"currency, parts, carrier, line_type, updated) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	"ON CONFLICT (id) DO UPDATE SET "
	"status = CASE WHEN ?4 > stage THEN ?3 ELSE status END, "
	"error_code = CASE WHEN ?4 > stage THEN ?5 ELSE error_code END, "
	"cost_micros = CASE WHEN ?6 IS NOT NULL AND (?4 >= stage OR cost_micros IS NULL) "
	"THEN ?6 ELSE cost_micros END, "
	"currency = CASE WHEN ?6 IS NOT NULL AND (?4 >= stage OR cost_micros IS NULL) "
	"THEN ?7 ELSE currency END, "
	"parts = CASE WHEN parts = 0 THEN ?8 ELSE parts END, "
	"carrier = CASE WHEN carrier = '' THEN ?9 ELSE carrier END, "
	"line_type = CASE WHEN line_type = '' THEN ?10 ELSE line_type END, "
	"phone = CASE WHEN phone = '' THEN ?2 ELSE phone END, "
	"stage = max(stage, ?4), updated = ?11",
    [STMT_EVENT_NEW] = "INSERT INTO webhook_event (id, at) VALUES (?1, ?2) "
		       "ON CONFLICT (id) DO NOTHING",
    [STMT_PURGE_MESSAGES] = "DELETE FROM message WHERE id IN "
			    "(SELECT id FROM message WHERE updated < ?1 ORDER BY updated LIMIT ?2)",
    [STMT_PURGE_EVENTS] = "DELETE FROM webhook_event WHERE id IN "
			  "(SELECT id FROM webhook_event WHERE at < ?1 ORDER BY at LIMIT ?2)",
    /* Every right-hand side reads the row as it was. */
    [STMT_FAIL] = "UPDATE verification SET "
		  "status = CASE WHEN prev_expires > ?3 THEN 'pending' ELSE 'failed' END, "
		  "mac = CASE WHEN prev_expires > ?3 THEN prev_mac ELSE mac END, "
		  "expires = CASE WHEN prev_expires > ?3 THEN prev_expires ELSE expires END, "
		  "prev_mac = X'', prev_expires = 0 "
		  "WHERE id = ?1 AND mac = ?2 AND status = 'pending'",
    /* ... or, a newer code having come meanwhile, the one before it. */
    [STMT_FAIL_PREV] = "UPDATE verification SET prev_mac = X'', prev_expires = 0 "
		       "WHERE id = ?1 AND prev_mac = ?2",
    [STMT_PURGE_SENDS] = "DELETE FROM send WHERE rowid IN "
			 "(SELECT rowid FROM send WHERE at < ?1 ORDER BY at LIMIT ?2)",
    [STMT_PURGE_FAILURES] = "DELETE FROM failure WHERE rowid IN "
			    "(SELECT rowid FROM failure WHERE at < ?1 ORDER BY at LIMIT ?2)",
    /* ?1 since, ?2 the key, ?3 the network (the SCOPE_NET_ ones). */
    [STMT_COUNT_TEXTS] = "SELECT count(*), min(at) FROM send "
			 "WHERE phone = ?2 AND at > ?1 AND channel = 'sms'",
    [STMT_COUNT_NET_TEXTS] = "SELECT count(*), min(at) FROM send WHERE phone = ?2 AND at > ?1 "
			     "AND channel IN ('sms', 'refused') AND net = ?3",
    [STMT_COUNT_INBOUND] = "SELECT count(*), min(at) FROM send "
			   "WHERE phone = ?2 AND at > ?1 AND channel = 'inbound'",
    [STMT_COUNT_NET_INBOUND] = "SELECT count(*), min(at) FROM send WHERE phone = ?2 AND at > ?1 "
			       "AND channel = 'inbound' AND net = ?3",
    [STMT_PHONE_ATTEMPTS] = "SELECT max(attempts), max(expires) FROM verification "
			    "WHERE phone = ?1 AND status != 'used' AND expires > ?2 AND net = ?3",
    [STMT_COUNT_CLIENT] = "SELECT count(*), min(at) FROM send "
			  "WHERE client = ?2 AND at > ?1 AND channel != 'inbound'",
    [STMT_COUNT_CLIENT_INBOUND] = "SELECT count(*), min(at) FROM send WHERE client = ?2 "
				  "AND at > ?1 AND channel = 'inbound'",
    /* A text is verified when its number was, by text, at or after it. */
    [STMT_COUNT_NET_UNVERIFIED] =
	"SELECT count(*), min(at) FROM send s WHERE s.net = ?2 AND s.at > ?1 "
	"AND s.channel IN ('sms', 'refused') AND NOT EXISTS (SELECT 1 FROM verified v "
	"WHERE v.phone = s.phone AND v.at >= s.at AND v.channel = 'sms')",
    /* Whole minutes: the minute of ?1 is left out, the current one counted. */
    [STMT_COUNT_COUNTRY] = "SELECT coalesce(sum(n), 0), min(minute) * 60 FROM send_minute "
			   "WHERE scope = ?2 AND minute > ?1 / 60",
    [STMT_COUNT_ALL] = "SELECT coalesce(sum(n), 0), min(minute) * 60 FROM send_minute "
		       "WHERE scope = '*' AND minute > ?1 / 60",
    [STMT_ADD_SEND] = "INSERT INTO send (at, phone, client, country, channel, prefix, cc, net) "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    /* A text refused: a copy as 'refused', then the text goes, with its
     * counts (the trigger send_uncounted).  The rows are alike but for
     * their channel: which of several is taken does not matter. */
    [STMT_UNSEND_COPY] = "INSERT INTO send (at, phone, client, country, channel, prefix, cc, net) "
			 "SELECT at, phone, client, country, 'refused', prefix, cc, net FROM send "
			 "WHERE rowid = (SELECT rowid FROM send WHERE phone = ?2 AND at = ?1 "
			 "AND client = ?3 AND channel = 'sms' LIMIT 1)",
    [STMT_UNSEND_DROP] =
	"DELETE FROM send WHERE rowid = (SELECT rowid FROM send "
	"WHERE phone = ?2 AND at = ?1 AND client = ?3 AND channel = 'sms' LIMIT 1)",
    [STMT_ADD_VERIFIED] = "INSERT INTO verified (at, phone, prefix, cc, channel) "
			  "VALUES (?1, ?2, ?3, ?4, ?5)",
    [STMT_ADD_REFUSAL] =
	"INSERT INTO refusal (minute, kind, prefix, n) VALUES (?1 / 60, ?2, ?3, 1) "
	"ON CONFLICT (minute, kind, prefix) DO UPDATE SET n = n + 1",
    /* ?1 prefix, ?2 since, ?3 mature: struct store_conversion's five.
     * Texts only on both sides: inbound approvals cost nothing and prove
     * no text. */
    [STMT_CONVERSION] =
	"SELECT coalesce(sum(at <= ?3), 0), coalesce(sum(at <= ?3 AND ok), 0), "
	"count(DISTINCT CASE WHEN at <= ?3 AND NOT ok THEN net END), "
	"coalesce(sum(at > ?3 AND NOT ok), 0), "
	"count(DISTINCT CASE WHEN at > ?3 AND NOT ok THEN net END) "
	"FROM (SELECT s.at, s.net, EXISTS (SELECT 1 FROM verified v WHERE v.phone = s.phone "
	"AND v.at >= s.at AND v.channel = 'sms') AS ok "
	"FROM send s WHERE s.prefix = ?1 AND s.at > ?2 AND s.channel = 'sms')",
    [STMT_LIFTED] = "SELECT coalesce(max(created), 0) FROM block "
		    "WHERE prefix = ?1 AND reason = 'lifted'",
    /* Texts sent, those of them whose cost came in the currency, and those costs. */
    [STMT_SPEND] = "SELECT (SELECT count(*) FROM send WHERE at > ?1 AND channel = 'sms'), "
		   "(SELECT count(*) FROM message WHERE sent_at > ?1 AND cost_micros IS NOT NULL "
		   "AND currency = ?2), "
		   "(SELECT coalesce(sum(cost_micros), 0) FROM message WHERE sent_at > ?1 "
		   "AND cost_micros IS NOT NULL AND currency = ?2)",
    [STMT_BLOCK_FIND] = "SELECT prefix, until, reason, created FROM block "
			"WHERE until > ?2 AND reason != 'lifted' "
			"AND substr(?1, 1, length(prefix)) = prefix "
			"ORDER BY length(prefix) DESC LIMIT 1",
    [STMT_BLOCK_SET] = "INSERT INTO block (prefix, until, reason, created) "
		       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (prefix) DO UPDATE SET "
		       "until = ?2, reason = ?3, created = ?4",
    /* Lifted, not deleted: the breaker counts only the sends after it (?3 is how long
     * to remember, the longest window). */
    [STMT_BLOCK_END] = "UPDATE block SET reason = 'lifted', created = ?2, until = ?2 + ?3 "
		       "WHERE prefix = ?1 AND reason != 'lifted' AND until > ?2",
    [STMT_BLOCKS] = "SELECT prefix, until, reason, created FROM block WHERE until > ?1 "
		    "AND reason != 'lifted' ORDER BY until DESC, prefix LIMIT ?2",
    /* ?1 prefix, ?2 since, ?3 mature, ?4 when judged, ?5 the most rows: the
     * networks of STMT_CONVERSION's texts not verified, each with its
     * texts, and (the window over the groups) how many networks in all. */
    [STMT_BLOCK_NETS] =
	"SELECT s.net, count(*), count(*) OVER () FROM send s "
	"WHERE s.prefix = ?1 AND s.at > ?2 AND s.at <= ?3 AND s.channel = 'sms' "
	"AND NOT EXISTS (SELECT 1 FROM verified v WHERE v.phone = s.phone AND v.at >= s.at "
	"AND v.at <= ?4 AND v.channel = 'sms') "
	"GROUP BY s.net ORDER BY count(*) DESC, s.net LIMIT ?5",
    [STMT_PURGE_VERIFIED] = "DELETE FROM verified WHERE rowid IN "
			    "(SELECT rowid FROM verified WHERE at < ?1 ORDER BY at LIMIT ?2)",
    [STMT_PURGE_REFUSALS] = "DELETE FROM refusal WHERE (minute, kind, prefix) IN "
			    "(SELECT minute, kind, prefix FROM refusal WHERE minute < ?1 / 60 "
			    "LIMIT ?2)",
    [STMT_PURGE_BLOCKS] = "DELETE FROM block WHERE prefix IN "
			  "(SELECT prefix FROM block WHERE until < ?1 LIMIT ?2)",
    /* Every code of the number dies (its guesses may have been somebody's),
     * and none seeds the next one's wrong tries (STMT_PHONE_ATTEMPTS reads
     * codes that failed to send too): the visitor asks again. */
    [STMT_UNLOCK_VERIFICATIONS] = "UPDATE verification SET attempts = 0, status = 'failed' "
				  "WHERE phone = ?1 AND (status IN ('pending', 'locked') "
				  "OR (status = 'failed' AND attempts > 0))",
    /* ... or those of one network (?2), and the wrong codes on them. */
    [STMT_UNLOCK_NET_VERIFICATIONS] =
	"UPDATE verification SET attempts = 0, status = 'failed' "
	"WHERE phone = ?1 AND net = ?2 AND (status IN "
	"('pending', 'locked') OR (status = 'failed' AND attempts > 0))",
    [STMT_UNLOCK_NET_FAILURES] = "DELETE FROM failure WHERE phone = ?1 AND net = ?2",
    /*
     * otp-admin locks: ?1 now, ?2 the window, ?3 the limit, ?4 the most
     * rows.  Each row: the number, the network (or ''), the count, when
     * it ends.  The same rows as STMT_COUNT_NET_FAILURES, _FAILURES,
     * STMT_PHONE_ATTEMPTS (?2 unused), STMT_COUNT_NET_TEXTS and _TEXTS.
     */
    [STMT_LOCKS_NET_FAILURES] = "SELECT phone, net, count(*), min(at) + ?2 FROM failure "
				"WHERE at > ?1 - ?2 GROUP BY phone, net HAVING count(*) >= ?3 "
				"ORDER BY phone, net LIMIT ?4",
    [STMT_LOCKS_FAILURES] = "SELECT phone, '', count(*), min(at) + ?2 FROM failure "
			    "WHERE at > ?1 - ?2 GROUP BY phone HAVING count(*) >= ?3 "
			    "ORDER BY phone LIMIT ?4",
    [STMT_LOCKS_CODES] = "SELECT phone, net, count(*), max(expires) FROM verification "
			 "WHERE expires > ?1 AND status != 'used' AND attempts >= ?3 "
			 "GROUP BY phone, net ORDER BY phone, net LIMIT ?4",
    [STMT_LOCKS_NET_TEXTS] = "SELECT phone, net, count(*), min(at) + ?2 FROM send "
			     "WHERE at > ?1 - ?2 AND channel IN ('sms', 'refused') "
			     "GROUP BY phone, net HAVING count(*) >= ?3 "
			     "ORDER BY phone, net LIMIT ?4",
    [STMT_LOCKS_TEXTS] = "SELECT phone, '', count(*), min(at) + ?2 FROM send "
			 "WHERE at > ?1 - ?2 AND channel = 'sms' GROUP BY phone "
			 "HAVING count(*) >= ?3 ORDER BY phone LIMIT ?4",
    /* ?1 the number, ?2 since, ?3 the most rows: as STMT_BLOCK_NETS's. */
    [STMT_LOCK_NETS_FAILURES] = "SELECT net, count(*), count(*) OVER () FROM failure "
				"WHERE phone = ?1 AND at > ?2 "
				"GROUP BY net ORDER BY count(*) DESC, net LIMIT ?3",
    [STMT_LOCK_NETS_TEXTS] = "SELECT net, count(*), count(*) OVER () FROM send "
			     "WHERE phone = ?1 AND at > ?2 AND channel = 'sms' "
			     "GROUP BY net ORDER BY count(*) DESC, net LIMIT ?3",
    [STMT_FORGET_ASSERTIONS] = "DELETE FROM assertion_used WHERE vid IN "
			       "(SELECT id FROM verification WHERE phone = ?1)",
    [STMT_FORGET_MESSAGES] = "DELETE FROM message WHERE phone = ?1 OR vid IN "
			     "(SELECT id FROM verification WHERE phone = ?1)",
    [STMT_FORGET_VERIFICATIONS] = "DELETE FROM verification WHERE phone = ?1",
    [STMT_FORGET_SENDS] = "DELETE FROM send WHERE phone = ?1",
    [STMT_FORGET_FAILURES] = "DELETE FROM failure WHERE phone = ?1",
    [STMT_FORGET_VERIFIED] = "DELETE FROM verified WHERE phone = ?1",
    /* A block of exactly the number is about the person too. */
    [STMT_FORGET_BLOCKS] = "DELETE FROM block WHERE prefix = ?1",
    [STMT_TOTALS] = "SELECT (SELECT count(*) FROM send WHERE at > ?1), "
		    "(SELECT count(*) FROM verified WHERE at > ?1), "
		    "(SELECT count(*) FROM message WHERE sent_at > ?1 AND status = 'delivered'), "
		    "(SELECT count(*) FROM message WHERE sent_at > ?1 AND status IN "
		    "('delivery_failed', 'sending_failed', 'expired')), "
		    "(SELECT coalesce(sum(n), 0) FROM refusal WHERE minute > ?1 / 60), "
		    "(SELECT coalesce(sum(cost_micros), 0) FROM message WHERE sent_at > ?1 "
		    "AND cost_micros IS NOT NULL AND currency = ?2), "
		    "(SELECT count(*) FROM message WHERE sent_at > ?1 AND cost_micros IS NOT NULL "
		    "AND currency = ?2)",
    /* Sends, codes verified and refusals per prefix or calling code (costs
     * are kept per message, which has neither), the most sends first. */
    [STMT_GROUPS_PREFIX] = STORE_GROUPS("prefix", "prefix", "NULL", "sum(s) DESC, key"),
    [STMT_GROUPS_COUNTRY] = STORE_GROUPS("cc", "NULL", "NULL", "sum(s) DESC, key"),
    /* The newest first, so that the limit keeps the latest; the caller reverses them. */
    [STMT_GROUPS_HOUR] = STORE_GROUPS(STORE_HOUR("at"), STORE_HOUR("minute * 60"),
				      STORE_HOUR("sent_at"), "key DESC"),
    [STMT_GROUPS_DAY] =
	STORE_GROUPS(STORE_DAY("at"), STORE_DAY("minute * 60"), STORE_DAY("sent_at"), "key DESC"),
    [STMT_REFUSAL_KINDS] = "SELECT kind, sum(n) FROM refusal WHERE minute > ?1 / 60 "
			   "GROUP BY kind ORDER BY sum(n) DESC, kind LIMIT ?2",
    [STMT_COUNT_FAILURES] = "SELECT count(*), min(at) FROM failure "
			    "WHERE phone = ?2 AND at > ?1",
    [STMT_COUNT_NET_FAILURES] = "SELECT count(*), min(at) FROM failure "
				"WHERE phone = ?2 AND at > ?1 AND net = ?3",
    [STMT_ADD_FAILURE] = "INSERT INTO failure (at, phone, net) VALUES (?1, ?2, ?3)",
    [STMT_MARK_ASSERTION] = "INSERT INTO assertion_used (vid, at) VALUES (?1, ?2) "
			    "ON CONFLICT (vid) DO NOTHING",
    [STMT_PURGE_ASSERTIONS] = "DELETE FROM assertion_used WHERE vid IN "
			      "(SELECT vid FROM assertion_used WHERE at < ?1 ORDER BY at LIMIT ?2)",
};

/* The handle: the front's part first, so that a struct store * is one. */
struct store_sqlite {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT__MAX];
	char *path; /* as opened, for store_sqlite_stale() */
	dev_t dev;  /* the file opened */
	ino_t ino;
	off_t size; /* its size when last looked at: it never shrinks */
};

static struct store_sqlite *
store_sqlite_of(struct store *st)
{
	return (struct store_sqlite *)st;
}

/* ---- opening, making and upgrading the file ---------------------------- */

/*
 * Log "what: SQLite's message", and the system's error when SQLite's
 * comes from a failed read or write ("disk I/O error (No space left on
 * device)").  Not for SQLITE_CANTOPEN in general: its errno is the last
 * of the opens SQLite tried, often not the one that tells.
 */
static void
store_sqlite_log(sqlite3 *db, const char *what)
{
	int sys = sqlite3_system_errno(db);

	int code = sqlite3_extended_errcode(db);

	/* The extended code tells the kinds of SQLITE_READONLY and SQLITE_IOERR apart. */
	if ((code & 0xff) == SQLITE_IOERR && sys != 0)
		log_msg("%s: %s (%s; code %d)", what, sqlite3_errmsg(db), strerror(sys), code);
	else
		log_msg("%s: %s (code %d)", what, sqlite3_errmsg(db), code);
}

/* Log why the file at path could not be opened (db may be NULL). */
static void
store_sqlite_log_open(const char *path, sqlite3 *db, int rc)
{
	if (db == NULL)
		log_msg("cannot open database: %s", sqlite3_errstr(rc));
	else if (sqlite3_extended_errcode(db) == SQLITE_CANTOPEN_SYMLINK)
		log_msg("cannot open database %s: it is a symbolic link, which is not followed",
			path);
	else if (sqlite3_system_errno(db) != 0) /* the file's own open: errno says why */
		log_msg("cannot open database: %s (%s)", sqlite3_errmsg(db),
			strerror(sqlite3_system_errno(db)));
	else
		log_msg("cannot open database: %s", sqlite3_errmsg(db));
}

/*
 * Open the existing file at path and set the connection up.  Returns 1,
 * 0 if nothing is at path (nothing logged), or -1 after logging.
 */
static int
store_sqlite_connect(const char *path, sqlite3 **dbp)
{
	int rc, missing, tries;

	/*
	 * When opening the file to write fails, SQLite tries to open it to
	 * read: a file that another process made between the two opens (the
	 * first requests to a new database race) is then open read-only,
	 * and every write would fail.  Open again: it is there now.
	 */
	for (tries = 0; tries < 3; tries++) {
		rc = sqlite3_open_v2(path, dbp, STORE_OPEN_FLAGS, NULL);
		if (rc != SQLITE_OK || sqlite3_db_readonly(*dbp, "main") != 1)
			break;
		sqlite3_close(*dbp);
		*dbp = NULL;
	}
	if (rc != SQLITE_OK) {
		/* Missing when the open found nothing there, whatever is there now:
		 * the file made meanwhile is found where store_sqlite_create()'s
		 * link() fails. */
		missing = (rc & 0xff) == SQLITE_CANTOPEN && *dbp != NULL &&
			  sqlite3_system_errno(*dbp) == ENOENT;
		if (!missing)
			store_sqlite_log_open(path, *dbp, rc);
		sqlite3_close(*dbp);
		*dbp = NULL;
		return missing ? 0 : -1;
	}
	sqlite3_extended_result_codes(*dbp, 1);
	sqlite3_busy_timeout(*dbp, OTP_DB_BUSY_MS);
	sqlite3_db_config(*dbp, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(*dbp, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(*dbp, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	return 1;
}

/* The file's schema version in *v.  Returns 0, or -1 after logging (a
 * file that is not a database fails here). */
static int
store_sqlite_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		*v = sqlite3_column_int(s, 0);
		rc = 0;
	} else
		store_sqlite_log(db, "cannot read database");
	sqlite3_finalize(s);
	return rc;
}

/* Whether this program can use a file of version v, after the steps it
 * lacks.  Returns 1, or 0 after logging. */
static int
store_sqlite_known(int v)
{
	if (v > STORE_VERSION) {
		log_msg("database schema version %d is newer than this program (%d): upgrade "
			"the programs",
			v, STORE_VERSION);
		return 0;
	}
	if (v < 1) {
		log_msg("database has no schema (version %d): it was not made by these programs; "
			"move it away and they make a new one",
			v);
		return 0;
	}
	return 1;
}

/*
 * Put the file in WAL mode (persistent: its header says so to every
 * later connection).  The pragma answers the mode it is in, which stays
 * the old one when it cannot switch.  Returns 0, or -1 after logging.
 */
static int
store_sqlite_wal(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *mode;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		mode = sqlite3_column_text(s, 0);
		if (mode != NULL && !strcmp((const char *)mode, "wal"))
			rc = 0;
		else
			log_msg("cannot switch database to WAL: still in %s mode",
				mode != NULL ? (const char *)mode : "no");
	} else
		store_sqlite_log(db, "cannot switch database to WAL");
	sqlite3_finalize(s);
	return rc;
}

/*
 * Bring a file older than this program up to STORE_VERSION: the steps
 * it lacks, in one exclusive transaction, so that no process sees half
 * of them and of many processes one runs them (the others find them made
 * when they get the lock).  Returns 0, or -1 after logging.
 */
static int
store_sqlite_migrate(sqlite3 *db)
{
	int from, v, now;

	if (sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (store_sqlite_version(db, &from) < 0 || !store_sqlite_known(from))
		goto rollback;
	for (v = from; v < STORE_VERSION; v++) {
		if (sqlite3_exec(db, store_sqlite_steps[v + 1], NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		if (store_sqlite_version(db, &now) < 0)
			goto rollback;
		if (now != v + 1) {
			log_msg("cannot upgrade database: step %d leaves version %d", v + 1, now);
			goto rollback;
		}
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (from == STORE_VERSION)
		return 0;
	log_msg("database schema upgraded from version %d to %d", from, STORE_VERSION);
	/* Files of version 1 could be left in rollback mode when the first
	 * requests raced to make them; not fatal, only slower. */
	store_sqlite_wal(db);
	return 0;
fail:
	store_sqlite_log(db, "cannot upgrade database schema");
rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* path with suffix in buf (size bytes).  Returns 0, or -1 after logging
 * that it does not fit. */
static int
store_sqlite_name(char *buf, size_t size, const char *path, const char *suffix)
{
	int n = snprintf(buf, size, "%s%s", path, suffix);

	if (n < 0 || (size_t)n >= size) {
		log_msg("cannot create database: its path is too long");
		return -1;
	}
	return 0;
}

/*
 * Whether a -wal or -journal file lies there without its database (the
 * file was deleted alone): SQLite would play it back into a new file and
 * corrupt it.  Only a leftover can be there, since a database never goes
 * away once made and these come after it: looked for before path.
 * Returns 1 after logging, or 0.
 */
static int
store_sqlite_orphaned(const char *path)
{
	static const char *const sides[] = {"-wal", "-journal"};
	char side[PATH_MAX];
	struct stat sb;
	size_t i;

	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		if (store_sqlite_name(side, sizeof(side), path, sides[i]) < 0)
			return 1;
		if (lstat(side, &sb) == 0 && lstat(path, &sb) < 0 && errno == ENOENT) {
			log_msg("cannot create database %s: %s is left from a deleted one; "
				"move it away",
				path, side);
			return 1;
		}
	}
	return 0;
}

/*
 * Build the whole schema into the empty file at tmp, then WAL mode, and
 * close it.  The schema is committed before the switch to WAL, so that
 * all of it is in the file itself and nothing in a -wal file that would
 * not follow the file to its name.  Returns 0, or -1 after logging.
 */
static int
store_sqlite_build(const char *tmp)
{
	sqlite3 *db = NULL;
	int v, rc = -1;

	if (store_sqlite_connect(tmp, &db) != 1)
		return -1;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, store_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_sqlite_log(db, "cannot create database schema");
		goto out;
	}
	if (store_sqlite_wal(db) < 0 || store_sqlite_version(db, &v) < 0)
		goto out;
	if (v != STORE_VERSION) {
		log_msg("cannot create database: sql/schema.sql is version %d, the steps reach %d",
			v, STORE_VERSION);
		goto out;
	}
	rc = 0;
out:
	/* The last connection: this deletes tmp's -wal and -shm, empty. */
	sqlite3_close(db);
	return rc;
}

/* Remove tmp and whatever SQLite may have left beside it. */
static void
store_sqlite_remove(const char *tmp)
{
	static const char *const sides[] = {"", "-journal", "-wal", "-shm"};
	char side[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++)
		if (snprintf(side, sizeof(side), "%s%s", tmp, sides[i]) < (int)sizeof(side))
			unlink(side);
}

/* Make the new name in path's directory last through a power cut. */
static void
store_sqlite_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int n, fd;

	if (slash == NULL)
		n = snprintf(dir, sizeof(dir), ".");
	else
		n = snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path),
			     path);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Make the database at path, where there was none: build it whole under
 * a temporary name in the same directory (mode 0600), then link() it to
 * path, which never replaces a file and never follows a symbolic link.
 * Of many processes doing this at once one links its file; the others
 * find path taken (EEXIST) and drop theirs.  Returns 0 when path exists
 * (made here or by another), or -1 after logging.
 */
static int
store_sqlite_create(const char *path)
{
	char tmp[PATH_MAX - 16]; /* room for the names SQLite puts beside it */
	int fd, rc = -1;

	if (store_sqlite_orphaned(path) ||
	    store_sqlite_name(tmp, sizeof(tmp), path, ".new-XXXXXX") < 0)
		return -1;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		log_msg("cannot create database %s: %s", path, strerror(errno));
		return -1;
	}
	/* SQLite opens it by name.  Closing any descriptor of a file drops
	 * the process's POSIX locks on it, SQLite's too: close ours first. */
	close(fd);
	if (store_sqlite_build(tmp) == 0) {
		if (link(tmp, path) == 0) {
			rc = 0;
			store_sqlite_sync_dir(path);
		} else if (errno == EEXIST)
			rc = 0;
		else
			log_msg("cannot create database %s: %s", path, strerror(errno));
	}
	store_sqlite_remove(tmp);
	return rc;
}

static void store_sqlite_close(struct store *st);

/*
 * Whether the file at the path opened is no longer the one open: gone,
 * replaced (another inode: a restore, a move) or cut shorter (a database
 * file in WAL mode never shrinks without VACUUM, which nothing here runs).
 * A FastCGI process asks before each request and opens the path afresh,
 * as a CGI process would.  Records what it saw for the next time.
 */
static int
store_sqlite_stale(struct store *st)
{
	struct store_sqlite *sq = store_sqlite_of(st);
	struct stat sb;
	int stale;

	if (stat(sq->path, &sb) < 0)
		return 1;
	stale =
	    sq->ino != 0 && (sb.st_dev != sq->dev || sb.st_ino != sq->ino || sb.st_size < sq->size);
	sq->dev = sb.st_dev;
	sq->ino = sb.st_ino;
	sq->size = sb.st_size;
	return stale;
}

static struct store *
store_sqlite_open(const char *path)
{
	static int configured;
	struct store_sqlite *sq = xcalloc(1, sizeof(*sq));
	int rc, v;

	/*
	 * No memory statistics: keeping them takes a mutex at every one of
	 * SQLite's allocations, a tenth of a POST verify.cgi's instructions
	 * (callgrind), and nothing here reads them.  Only before SQLite's
	 * first use, which this is.
	 */
	if (!configured) {
		configured = 1;
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	}
	sq->base.ops = &store_sqlite_ops;
	if ((rc = store_sqlite_connect(path, &sq->db)) == 0) {
		if (store_sqlite_create(path) < 0)
			goto fail;
		if ((rc = store_sqlite_connect(path, &sq->db)) == 0)
			log_msg("cannot open database %s: it was made, then removed", path);
	}
	if (rc != 1)
		goto fail;
	if (store_sqlite_version(sq->db, &v) < 0 || !store_sqlite_known(v))
		goto fail;
	if (v < STORE_VERSION && store_sqlite_migrate(sq->db) < 0)
		goto fail;
	/* Safe in WAL mode: a power cut may lose the last commit, never corrupt. */
	if (sqlite3_exec(sq->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		store_sqlite_log(sq->db, "cannot set up database");
		goto fail;
	}
	sq->path = xstrdup(path);
	store_sqlite_stale(&sq->base);
	return &sq->base;
fail:
	store_sqlite_close(&sq->base);
	return NULL;
}

static void
store_sqlite_close(struct store *st)
{
	struct store_sqlite *sq = store_sqlite_of(st);
	size_t i;

	for (i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(sq->stmt[i]);
	sqlite3_close(sq->db);
	free(sq->path);
	free(sq);
}

/* ---- statements -------------------------------------------------------- */

/* The statement, prepared on first use and reset for the next.  NULL
 * after logging if it cannot be prepared. */
static sqlite3_stmt *
store_sqlite_stmt(struct store *st, enum store_stmt which)
{
	struct store_sqlite *sq = store_sqlite_of(st);
	sqlite3_stmt *s = sq->stmt[which];

	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	if (sqlite3_prepare_v2(sq->db, store_sqlite_sql[which], -1, &s, NULL) != SQLITE_OK) {
		store_sqlite_log(sq->db, "cannot prepare statement");
		return NULL;
	}
	sq->stmt[which] = s;
	return s;
}

/* Step s, which returns one row (want SQLITE_ROW) or none (SQLITE_DONE).
 * Returns 0, or -1 after logging and resetting s. */
static int
store_sqlite_step(struct store *st, sqlite3_stmt *s, int want)
{
	if (sqlite3_step(s) != want) {
		store_sqlite_log(store_sqlite_of(st)->db, "database error");
		sqlite3_reset(s);
		return -1;
	}
	return 0;
}

/* Run a statement that returns no rows.  Returns 0 or -1 (logged). */
/*
 * Everything committed, into the database file, as the close that ends a
 * CGI process does it (the last connection to close checkpoints): a
 * FastCGI process keeps its connection, and what only its -wal held
 * would be lost to the file moved or copied meanwhile.  Not after each
 * commit: a CGI process would pay three more fsyncs a request for
 * nothing.  A checkpoint that cannot run now (a reader in the way) is
 * done by a later one.
 */
static void
store_sqlite_idle(struct store *st)
{
	sqlite3 *db = store_sqlite_of(st)->db;
	int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	/* Busy: another process is checkpointing right now, which is as good. */
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
		log_msg("cannot checkpoint database: %s", sqlite3_errmsg(db));
}

static int
store_sqlite_done(struct store *st, sqlite3_stmt *s)
{
	if (store_sqlite_step(st, s, SQLITE_DONE) < 0)
		return -1;
	sqlite3_reset(s);
	return 0;
}

static int
store_sqlite_simple(struct store *st, enum store_stmt which)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, which);

	return s == NULL ? -1 : store_sqlite_done(st, s);
}

static int
store_sqlite_begin(struct store *st)
{
	return store_sqlite_simple(st, STMT_BEGIN);
}

static int
store_sqlite_commit(struct store *st)
{
	return store_sqlite_simple(st, STMT_COMMIT);
}

static void
store_sqlite_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(store_sqlite_of(st)->db) == 0)
		store_sqlite_simple(st, STMT_ROLLBACK);
}

/* Run a purge statement for rows older than before. */
static int
store_sqlite_purge_one(struct store *st, enum store_stmt which, time_t before)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, which);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	sqlite3_bind_int(s, 2, OTP_PURGE_BATCH);
	return store_sqlite_done(st, s);
}

static int
store_sqlite_purge(struct store *st, const struct store_cutoffs *before)
{
	if (store_sqlite_purge_one(st, STMT_PURGE, before->verification) < 0 ||
	    store_sqlite_purge_one(st, STMT_PURGE_SENDS, before->send) < 0 ||
	    store_sqlite_purge_one(st, STMT_PURGE_FAILURES, before->failure) < 0 ||
	    store_sqlite_purge_one(st, STMT_PURGE_ASSERTIONS, before->assertion) < 0 ||
	    store_sqlite_purge_one(st, STMT_PURGE_MESSAGES, before->message) < 0 ||
	    store_sqlite_purge_one(st, STMT_PURGE_EVENTS, before->event) < 0 ||
	    store_sqlite_purge_one(st, STMT_PURGE_VERIFIED, before->verified) < 0 ||
	    store_sqlite_purge_one(st, STMT_PURGE_REFUSALS, before->verified) < 0 ||
	    store_sqlite_purge_one(st, STMT_PURGE_BLOCKS, before->block) < 0)
		return -1;
	return 0;
}

/* Column i as text, "" for NULL. */
static const char *
store_sqlite_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

static void store_sqlite_row(sqlite3_stmt *s, struct verification *v);

static int
store_sqlite_get(struct store *st, const char *id, struct verification *v)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_GET);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		store_sqlite_log(store_sqlite_of(st)->db, "database error");
		sqlite3_reset(s);
		return -1;
	}
	store_sqlite_row(s, v);
	sqlite3_reset(s);
	return 1;
}

/* The row s stands on (STMT_GET's columns) into v. */
static void
store_sqlite_row(sqlite3_stmt *s, struct verification *v)
{
	snprintf(v->id, sizeof(v->id), "%s", store_sqlite_text(s, 14));
	snprintf(v->phone, sizeof(v->phone), "%s", store_sqlite_text(s, 0));
	if (sqlite3_column_bytes(s, 1) == OTP_MAC_LEN)
		memcpy(v->mac, sqlite3_column_blob(s, 1), OTP_MAC_LEN);
	v->created = (time_t)sqlite3_column_int64(s, 2);
	v->expires = (time_t)sqlite3_column_int64(s, 3);
	v->attempts = sqlite3_column_int(s, 4);
	v->status = store_status_parse((const char *)sqlite3_column_text(s, 5));
	snprintf(v->message_id, sizeof(v->message_id), "%s", store_sqlite_text(s, 6));
	snprintf(v->return_to, sizeof(v->return_to), "%s", store_sqlite_text(s, 7));
	/* A previous code only with a whole hash. */
	if (sqlite3_column_bytes(s, 8) == OTP_MAC_LEN) {
		memcpy(v->prev_mac, sqlite3_column_blob(s, 8), OTP_MAC_LEN);
		v->prev_expires = (time_t)sqlite3_column_int64(s, 9);
	}
	snprintf(v->shown, sizeof(v->shown), "%s", store_sqlite_text(s, 10));
	snprintf(v->delivery, sizeof(v->delivery), "%s", store_sqlite_text(s, 11));
	v->inbound = !strcmp(store_sqlite_text(s, 12), "inbound");
	v->approved_at = (time_t)sqlite3_column_int64(s, 13);
	snprintf(v->prefix, sizeof(v->prefix), "%s", store_sqlite_text(s, 15));
	snprintf(v->cc, sizeof(v->cc), "%s", store_sqlite_text(s, 16));
	snprintf(v->lang, sizeof(v->lang), "%s", store_sqlite_text(s, 17));
	snprintf(v->net, sizeof(v->net), "%s", store_sqlite_text(s, 18));
}

static int
store_sqlite_inbound_live(struct store *st, const char *phone, time_t now, struct verification *out,
			  int max)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_INBOUND_LIVE);
	int n = 0, rc = SQLITE_DONE;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	sqlite3_bind_int(s, 3, max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		store_sqlite_row(s, &out[n++]);
	if (n < max && rc != SQLITE_DONE) {
		store_sqlite_log(store_sqlite_of(st)->db, "database error");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return n;
}

static int
store_sqlite_put(struct store *st, const struct verification *v)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_PUT);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, v->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, v->phone, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, v->mac, OTP_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)v->created);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)v->expires);
	sqlite3_bind_int(s, 6, v->attempts);
	sqlite3_bind_text(s, 7, store_status_name(v->status), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, v->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, v->return_to, -1, SQLITE_STATIC);
	if (v->prev_expires > 0)
		sqlite3_bind_blob(s, 10, v->prev_mac, OTP_MAC_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_blob(s, 10, "", 0, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)(v->prev_expires > 0 ? v->prev_expires : 0));
	sqlite3_bind_text(s, 12, v->shown, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 13, v->inbound ? "inbound" : "sms", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 14, (sqlite3_int64)v->approved_at);
	sqlite3_bind_text(s, 15, v->prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 16, v->cc, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 17, v->lang, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 18, v->net, -1, SQLITE_STATIC);
	return store_sqlite_done(st, s);
}

static int
store_sqlite_set_message_id(struct store *st, const char *id, const char *message_id,
			    const char *phone, time_t now)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_SET_MESSAGE_ID);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, message_id, -1, SQLITE_STATIC);
	if (store_sqlite_done(st, s) < 0)
		return -1;
	if (phone == NULL)
		return 0;
	if ((s = store_sqlite_stmt(st, STMT_ADD_MESSAGE)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)now);
	return store_sqlite_done(st, s);
}

static int
store_sqlite_receipt(struct store *st, const struct store_receipt *r, time_t now)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_RECEIPT);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, r->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, r->stage);
	sqlite3_bind_text(s, 5, r->error_code, -1, SQLITE_STATIC);
	if (r->cost_micros >= 0)
		sqlite3_bind_int64(s, 6, (sqlite3_int64)r->cost_micros);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_text(s, 7, r->currency, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 8, r->parts);
	sqlite3_bind_text(s, 9, r->carrier, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, r->line_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)now);
	return store_sqlite_done(st, s);
}

/* Insert key at now with which, an INSERT ... DO NOTHING of a key taken
 * once: 1 the first time, 0 if it was taken already, -1 on error. */
static int
store_sqlite_once(struct store *st, enum store_stmt which, const char *key, time_t now)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, which);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	if (store_sqlite_done(st, s) < 0)
		return -1;
	return sqlite3_changes(store_sqlite_of(st)->db) == 1 ? 1 : 0;
}

static int
store_sqlite_event_new(struct store *st, const char *event_id, time_t now)
{
	return store_sqlite_once(st, STMT_EVENT_NEW, event_id, now);
}

static int
store_sqlite_fail(struct store *st, const char *id, const unsigned char mac[OTP_MAC_LEN],
		  time_t now)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_FAIL);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, mac, OTP_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	if (store_sqlite_done(st, s) < 0 || (s = store_sqlite_stmt(st, STMT_FAIL_PREV)) == NULL)
		return -1;
	/* mac is one of the two, never both: the order does not matter. */
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, mac, OTP_MAC_LEN, SQLITE_STATIC);
	return store_sqlite_done(st, s);
}

static int
store_sqlite_count(struct store *st, enum store_scope scope, const char *key, const char *net,
		   time_t since, struct store_count *out)
{
	static const enum store_stmt which[] = {
	    [SCOPE_TEXTS] = STMT_COUNT_TEXTS,
	    [SCOPE_NET_TEXTS] = STMT_COUNT_NET_TEXTS,
	    [SCOPE_INBOUND] = STMT_COUNT_INBOUND,
	    [SCOPE_NET_INBOUND] = STMT_COUNT_NET_INBOUND,
	    [SCOPE_CLIENT] = STMT_COUNT_CLIENT,
	    [SCOPE_CLIENT_INBOUND] = STMT_COUNT_CLIENT_INBOUND,
	    [SCOPE_NET_UNVERIFIED] = STMT_COUNT_NET_UNVERIFIED,
	    [SCOPE_COUNTRY] = STMT_COUNT_COUNTRY,
	    [SCOPE_ALL] = STMT_COUNT_ALL,
	    [SCOPE_FAILURES] = STMT_COUNT_FAILURES,
	    [SCOPE_NET_FAILURES] = STMT_COUNT_NET_FAILURES,
	};
	sqlite3_stmt *s = store_sqlite_stmt(st, which[scope]);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)since);
	if (key != NULL)
		sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(s) >= 3)
		sqlite3_bind_text(s, 3, net, -1, SQLITE_STATIC);
	if (store_sqlite_step(st, s, SQLITE_ROW) < 0)
		return -1;
	out->n = sqlite3_column_int64(s, 0);
	out->oldest = (time_t)sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return 0;
}

static int
store_sqlite_phone_attempts(struct store *st, const char *phone, const char *net, time_t now,
			    int *n, time_t *expires)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_PHONE_ATTEMPTS);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	sqlite3_bind_text(s, 3, net, -1, SQLITE_STATIC);
	if (store_sqlite_step(st, s, SQLITE_ROW) < 0)
		return -1;
	*n = sqlite3_column_int(s, 0);
	*expires = (time_t)sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return 0;
}

static int
store_sqlite_add_send(struct store *st, time_t now, const struct store_send *send)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_ADD_SEND);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_text(s, 2, send->phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, send->client, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, send->country, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, send->inbound ? "inbound" : "sms", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, send->prefix != NULL ? send->prefix : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, send->cc != NULL ? send->cc : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, send->net != NULL ? send->net : "", -1, SQLITE_STATIC);
	return store_sqlite_done(st, s);
}

static int
store_sqlite_unsend(struct store *st, time_t at, const char *phone, const char *client)
{
	enum store_stmt which[2] = {STMT_UNSEND_COPY, STMT_UNSEND_DROP};
	int i;

	for (i = 0; i < 2; i++) {
		sqlite3_stmt *s = store_sqlite_stmt(st, which[i]);

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)at);
		sqlite3_bind_text(s, 2, phone, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, client, -1, SQLITE_STATIC);
		if (store_sqlite_done(st, s) < 0)
			return -1;
	}
	return 0;
}

static int
store_sqlite_add_verified(struct store *st, time_t now, const struct verification *v)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_ADD_VERIFIED);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_text(s, 2, v->phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, v->prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, v->cc, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, v->inbound ? "inbound" : "sms", -1, SQLITE_STATIC);
	return store_sqlite_done(st, s);
}

static int
store_sqlite_add_refusal(struct store *st, time_t now, const char *kind, const char *phone,
			 const char *prefix)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_ADD_REFUSAL);

	if (s == NULL)
		return -1;
	(void)phone; /* counted per prefix: the number is not kept */
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, prefix, -1, SQLITE_STATIC);
	return store_sqlite_done(st, s);
}

/* Run s, bound already, for its one row of integers into out[0..n-1]. */
static int
store_sqlite_ints(struct store *st, sqlite3_stmt *s, long long *out, int n)
{
	int i;

	if (store_sqlite_step(st, s, SQLITE_ROW) < 0)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (long long)sqlite3_column_int64(s, i);
	sqlite3_reset(s);
	return 0;
}

static int
store_sqlite_lifted(struct store *st, const char *prefix, time_t *at)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_LIFTED);
	long long n;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
	if (store_sqlite_ints(st, s, &n, 1) < 0)
		return -1;
	*at = (time_t)n;
	return 0;
}

static int
store_sqlite_conversion(struct store *st, const char *prefix, time_t since, time_t mature,
			struct store_conversion *out)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_CONVERSION);
	long long n[5];

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)since);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)mature);
	if (store_sqlite_ints(st, s, n, 5) < 0)
		return -1;
	out->sends = (long)n[0];
	out->verified = (long)n[1];
	out->nets = (long)n[2];
	out->fresh = (long)n[3];
	out->fresh_nets = (long)n[4];
	return 0;
}

/* The one row of k integers of which (?1 since, ?2 currency) into n. */
static int
store_sqlite_since(struct store *st, enum store_stmt which, time_t since, const char *currency,
		   long long *n, int k)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, which);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)since);
	sqlite3_bind_text(s, 2, currency, -1, SQLITE_STATIC);
	return store_sqlite_ints(st, s, n, k);
}

static int
store_sqlite_spend(struct store *st, time_t since, const char *currency, long long estimate,
		   long long *micros)
{
	long long n[3];

	if (store_sqlite_since(st, STMT_SPEND, since, currency, n, 3) < 0)
		return -1;
	/* Reported costs, and the estimate for every text sent with none. */
	*micros = n[2] + (n[0] > n[1] ? (n[0] - n[1]) * estimate : 0);
	return 0;
}

/* The block row s stands on into b. */
static void
store_sqlite_block_row(sqlite3_stmt *s, struct store_block *b)
{
	snprintf(b->prefix, sizeof(b->prefix), "%s", store_sqlite_text(s, 0));
	b->until = (time_t)sqlite3_column_int64(s, 1);
	snprintf(b->reason, sizeof(b->reason), "%s", store_sqlite_text(s, 2));
	b->created = (time_t)sqlite3_column_int64(s, 3);
}

static int
store_sqlite_block_find(struct store *st, const char *phone, time_t now, struct store_block *b)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_BLOCK_FIND);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_sqlite_block_row(s, b);
	else if (rc != SQLITE_DONE) {
		store_sqlite_log(store_sqlite_of(st)->db, "database error");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW;
}

static int
store_sqlite_block_set(struct store *st, const struct store_block *b)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_BLOCK_SET);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, b->prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)b->until);
	sqlite3_bind_text(s, 3, b->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)b->created);
	return store_sqlite_done(st, s);
}

/* Run the one-key statement which on key: the rows it changed, or -1. */
static long
store_sqlite_changes(struct store *st, enum store_stmt which, const char *key)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, which);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (store_sqlite_done(st, s) < 0)
		return -1;
	return (long)sqlite3_changes(store_sqlite_of(st)->db);
}

static int
store_sqlite_block_end(struct store *st, const char *prefix, time_t now)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_BLOCK_END);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	sqlite3_bind_int(s, 3, OTP_DAY); /* the longest CONVERSION_WINDOW */
	if (store_sqlite_done(st, s) < 0)
		return -1;
	return sqlite3_changes(store_sqlite_of(st)->db) > 0;
}

static int
store_sqlite_blocks(struct store *st, time_t now, struct store_block *out, int max)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_BLOCKS);
	int n = 0, rc = SQLITE_DONE;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int(s, 2, max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		store_sqlite_block_row(s, &out[n++]);
	sqlite3_reset(s);
	if (n < max && rc != SQLITE_DONE) {
		store_sqlite_log(store_sqlite_of(st)->db, "database error");
		return -1;
	}
	return n;
}

/* Run the statement which on phone and net: the rows it changed, or -1. */
static long
store_sqlite_changes_net(struct store *st, enum store_stmt which, const char *phone,
			 const char *net)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, which);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, net, -1, SQLITE_STATIC);
	if (store_sqlite_done(st, s) < 0)
		return -1;
	return (long)sqlite3_changes(store_sqlite_of(st)->db);
}

static int
store_sqlite_unlock(struct store *st, const char *phone, const char *net, long *verifications,
		    long *failures)
{
	if (net != NULL) {
		if ((*verifications = store_sqlite_changes_net(st, STMT_UNLOCK_NET_VERIFICATIONS,
							       phone, net)) < 0 ||
		    (*failures =
			 store_sqlite_changes_net(st, STMT_UNLOCK_NET_FAILURES, phone, net)) < 0)
			return -1;
		return 0;
	}
	if ((*verifications = store_sqlite_changes(st, STMT_UNLOCK_VERIFICATIONS, phone)) < 0 ||
	    (*failures = store_sqlite_changes(st, STMT_FORGET_FAILURES, phone)) < 0)
		return -1;
	return 0;
}

/* Rows of a network and two integers (its count, then how many networks
 * in all) into out: how many, or -1. */
static int
store_sqlite_net_rows(struct store *st, sqlite3_stmt *s, struct store_net *out, int max,
		      long *total)
{
	int n = 0, rc = SQLITE_DONE;

	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(out[n].net, sizeof(out[n].net), "%s", store_sqlite_text(s, 0));
		out[n].n = (long)sqlite3_column_int64(s, 1);
		*total = (long)sqlite3_column_int64(s, 2);
		n++;
	}
	sqlite3_reset(s);
	if (n < max && rc != SQLITE_DONE) {
		store_sqlite_log(store_sqlite_of(st)->db, "database error");
		return -1;
	}
	return n;
}

static int
store_sqlite_block_nets(struct store *st, const char *prefix, time_t since, time_t mature,
			time_t at, struct store_net *out, int max, long *total)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_BLOCK_NETS);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)since);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)mature);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)at);
	sqlite3_bind_int(s, 5, max);
	return store_sqlite_net_rows(st, s, out, max, total);
}

static int
store_sqlite_locks(struct store *st, enum store_lock_kind kind, time_t now, long window, long limit,
		   struct store_lock *out, int max)
{
	static const enum store_stmt which[] = {
	    [LOCK_NET_FAILURES] = STMT_LOCKS_NET_FAILURES,
	    [LOCK_FAILURES] = STMT_LOCKS_FAILURES,
	    [LOCK_CODE] = STMT_LOCKS_CODES,
	    [LOCK_NET_TEXTS] = STMT_LOCKS_NET_TEXTS,
	    [LOCK_TEXTS] = STMT_LOCKS_TEXTS,
	};
	sqlite3_stmt *s = store_sqlite_stmt(st, which[kind]);
	int n = 0, rc = SQLITE_DONE;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)window); /* LOCK_CODE: no ?2, ignored */
	sqlite3_bind_int64(s, 3, (sqlite3_int64)limit);
	sqlite3_bind_int(s, 4, max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_lock *l = &out[n++];

		snprintf(l->phone, sizeof(l->phone), "%s", store_sqlite_text(s, 0));
		snprintf(l->net, sizeof(l->net), "%s", store_sqlite_text(s, 1));
		l->n = (long)sqlite3_column_int64(s, 2);
		l->ends = (time_t)sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	if (n < max && rc != SQLITE_DONE) {
		store_sqlite_log(store_sqlite_of(st)->db, "database error");
		return -1;
	}
	return n;
}

static int
store_sqlite_lock_nets(struct store *st, enum store_lock_kind kind, const char *phone, time_t since,
		       struct store_net *out, int max, long *total)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, kind == LOCK_FAILURES ? STMT_LOCK_NETS_FAILURES
								      : STMT_LOCK_NETS_TEXTS);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)since);
	sqlite3_bind_int(s, 3, max);
	return store_sqlite_net_rows(st, s, out, max, total);
}

static int
store_sqlite_forget(struct store *st, const char *phone, struct store_forgotten *out)
{
	/* The assertions and messages first: they are found through the verifications. */
	if ((out->assertion = store_sqlite_changes(st, STMT_FORGET_ASSERTIONS, phone)) < 0 ||
	    (out->message = store_sqlite_changes(st, STMT_FORGET_MESSAGES, phone)) < 0 ||
	    (out->verification = store_sqlite_changes(st, STMT_FORGET_VERIFICATIONS, phone)) < 0 ||
	    (out->send = store_sqlite_changes(st, STMT_FORGET_SENDS, phone)) < 0 ||
	    (out->failure = store_sqlite_changes(st, STMT_FORGET_FAILURES, phone)) < 0 ||
	    (out->verified = store_sqlite_changes(st, STMT_FORGET_VERIFIED, phone)) < 0 ||
	    (out->block = store_sqlite_changes(st, STMT_FORGET_BLOCKS, phone)) < 0)
		return -1;
	return 0;
}

static int
store_sqlite_totals(struct store *st, time_t since, const char *currency, struct store_totals *t)
{
	long long n[7];

	if (store_sqlite_since(st, STMT_TOTALS, since, currency, n, 7) < 0)
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
store_sqlite_group_rows(struct store *st, sqlite3_stmt *s, struct store_group_row *out, int max)
{
	int n = 0, rc = SQLITE_DONE, cols = sqlite3_column_count(s);

	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_group_row *g = &out[n++];

		snprintf(g->key, sizeof(g->key), "%s", store_sqlite_text(s, 0));
		g->sent = (long)sqlite3_column_int64(s, 1);
		if (cols > 2) {
			g->verified = (long)sqlite3_column_int64(s, 2);
			g->refused = (long)sqlite3_column_int64(s, 3);
			g->spend = (long long)sqlite3_column_int64(s, 4);
		}
	}
	sqlite3_reset(s);
	if (n < max && rc != SQLITE_DONE) {
		store_sqlite_log(store_sqlite_of(st)->db, "database error");
		return -1;
	}
	return n;
}

static int
store_sqlite_groups(struct store *st, time_t since, enum store_group by, const char *currency,
		    struct store_group_row *out, int max)
{
	static const enum store_stmt which[] = {
	    [GROUP_PREFIX] = STMT_GROUPS_PREFIX,
	    [GROUP_COUNTRY] = STMT_GROUPS_COUNTRY,
	    [GROUP_HOUR] = STMT_GROUPS_HOUR,
	    [GROUP_DAY] = STMT_GROUPS_DAY,
	};
	sqlite3_stmt *s = store_sqlite_stmt(st, which[by]);
	int n, i;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)since);
	sqlite3_bind_text(s, 2, currency, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, max);
	if ((n = store_sqlite_group_rows(st, s, out, max)) > 1 &&
	    (by == GROUP_HOUR || by == GROUP_DAY))
		for (i = 0; i < n / 2; i++) {
			struct store_group_row t = out[i];

			out[i] = out[n - 1 - i];
			out[n - 1 - i] = t;
		}
	return n;
}

/* Refusals per kind: the count lands in sent. */
static int
store_sqlite_refusal_kinds(struct store *st, time_t since, struct store_group_row *out, int max)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_REFUSAL_KINDS);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)since);
	sqlite3_bind_int(s, 2, max);
	return store_sqlite_group_rows(st, s, out, max);
}

static int
store_sqlite_add_failure(struct store *st, time_t now, const char *phone, const char *net)
{
	sqlite3_stmt *s = store_sqlite_stmt(st, STMT_ADD_FAILURE);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_text(s, 2, phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, net, -1, SQLITE_STATIC);
	return store_sqlite_done(st, s);
}

static int
store_sqlite_mark_assertion(struct store *st, const char *vid, time_t now)
{
	return store_sqlite_once(st, STMT_MARK_ASSERTION, vid, now);
}

const struct store_ops store_sqlite_ops = {
    .open = store_sqlite_open,
    .close = store_sqlite_close,
    .begin = store_sqlite_begin,
    .commit = store_sqlite_commit,
    .rollback = store_sqlite_rollback,
    .purge = store_sqlite_purge,
    .get = store_sqlite_get,
    .put = store_sqlite_put,
    .set_message_id = store_sqlite_set_message_id,
    .receipt = store_sqlite_receipt,
    .event_new = store_sqlite_event_new,
    .fail = store_sqlite_fail,
    .count = store_sqlite_count,
    .phone_attempts = store_sqlite_phone_attempts,
    .add_send = store_sqlite_add_send,
    .add_failure = store_sqlite_add_failure,
    .unsend = store_sqlite_unsend,
    .inbound_live = store_sqlite_inbound_live,
    .add_verified = store_sqlite_add_verified,
    .add_refusal = store_sqlite_add_refusal,
    .conversion = store_sqlite_conversion,
    .lifted = store_sqlite_lifted,
    .spend = store_sqlite_spend,
    .block_find = store_sqlite_block_find,
    .block_set = store_sqlite_block_set,
    .block_end = store_sqlite_block_end,
    .blocks = store_sqlite_blocks,
    .block_nets = store_sqlite_block_nets,
    .unlock = store_sqlite_unlock,
    .locks = store_sqlite_locks,
    .lock_nets = store_sqlite_lock_nets,
    .forget = store_sqlite_forget,
    .totals = store_sqlite_totals,
    .groups = store_sqlite_groups,
    .refusal_kinds = store_sqlite_refusal_kinds,
    .mark_assertion = store_sqlite_mark_assertion,
    .stale = store_sqlite_stale,
    .idle = store_sqlite_idle,
};
