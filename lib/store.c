/*
 * The SQLite store.  Each CGI process opens the file, runs one or two
 * short transactions and exits, so: WAL (readers never wait for the
 * writer), a busy timeout (writers queue instead of failing with "database
 * is locked"), BEGIN IMMEDIATE (no deadlock between two readers that both
 * want to write), defensive mode and untrusted schema.  The schema of
 * sql/schema.sql is compiled in and run when the file is new.  Every
 * statement is in store_sql[] and prepared on first use: nothing is built
 * from strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "schema.h"
#include "store.h"

#define STORE_VERSION 1

enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_GET,
	STMT_PUT,
	STMT_PURGE,
	STMT_SET_MESSAGE_ID,
	STMT_FAIL,
	STMT_PURGE_SENDS,
	STMT_PURGE_FAILURES,
	STMT_COUNT_PHONE,
	STMT_PHONE_ATTEMPTS,
	STMT_COUNT_CLIENT,
	STMT_COUNT_COUNTRY,
	STMT_COUNT_ALL,
	STMT_ADD_SEND,
	STMT_COUNT_FAILURES,
	STMT_ADD_FAILURE,
	STMT_MARK_ASSERTION,
	STMT_PURGE_ASSERTIONS,
	STMT__MAX
};

static const char *const store_sql[STMT__MAX] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_GET] = "SELECT phone, mac, created, expires, attempts, status, message_id, return_to "
		 "FROM verification WHERE id = ?1",
    [STMT_PUT] = "INSERT INTO verification "
		 "(id, phone, mac, created, expires, attempts, status, message_id, return_to) "
		 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
		 "ON CONFLICT (id) DO UPDATE SET phone = ?2, mac = ?3, created = ?4, "
		 "expires = ?5, attempts = ?6, status = ?7, message_id = ?8, return_to = ?9",
    [STMT_PURGE] = "DELETE FROM verification WHERE expires < ?1",
    [STMT_SET_MESSAGE_ID] = "UPDATE verification SET message_id = ?2 WHERE id = ?1",
    [STMT_FAIL] = "UPDATE verification SET status = 'failed' "
		  "WHERE id = ?1 AND mac = ?2 AND status = 'pending'",
    [STMT_PURGE_SENDS] = "DELETE FROM send WHERE at < ?1",
    [STMT_PURGE_FAILURES] = "DELETE FROM failure WHERE at < ?1",
    [STMT_COUNT_PHONE] = "SELECT count(*), min(at) FROM send WHERE phone = ?2 AND at > ?1",
    [STMT_PHONE_ATTEMPTS] = "SELECT max(attempts), max(expires) FROM verification "
			    "WHERE phone = ?1 AND status != 'used' AND expires > ?2",
    [STMT_COUNT_CLIENT] = "SELECT count(*), min(at) FROM send "
			  "WHERE client = ?2 AND at > ?1",
    [STMT_COUNT_COUNTRY] = "SELECT count(*), min(at) FROM send "
			   "WHERE country = ?2 AND at > ?1",
    [STMT_COUNT_ALL] = "SELECT count(*), min(at) FROM send WHERE at > ?1",
    [STMT_ADD_SEND] = "INSERT INTO send (at, phone, client, country) VALUES (?1, ?2, ?3, ?4)",
    [STMT_COUNT_FAILURES] = "SELECT count(*), min(at) FROM failure "
			    "WHERE phone = ?2 AND at > ?1",
    [STMT_ADD_FAILURE] = "INSERT INTO failure (at, phone) VALUES (?1, ?2)",
    [STMT_MARK_ASSERTION] = "INSERT INTO assertion_used (vid, at) VALUES (?1, ?2) "
			    "ON CONFLICT (vid) DO NOTHING",
    [STMT_PURGE_ASSERTIONS] = "DELETE FROM assertion_used WHERE at < ?1",
};

static const char *const store_status_name[] = {
    [STATUS_PENDING] = "pending",
    [STATUS_USED] = "used",
    [STATUS_LOCKED] = "locked",
    [STATUS_FAILED] = "failed",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT__MAX];
};

/* The statement, prepared on first use and reset for the next.  NULL
 * after logging if it cannot be prepared. */
static sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt which)
{
	sqlite3_stmt *s = st->stmt[which];

	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	if (sqlite3_prepare_v2(st->db, store_sql[which], -1, &s, NULL) != SQLITE_OK) {
		log_msg("cannot prepare statement: %s", sqlite3_errmsg(st->db));
		return NULL;
	}
	st->stmt[which] = s;
	return s;
}

/* Run a statement that returns no rows.  Returns 0 or -1 (logged). */
static int
store_step_done(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		log_msg("database error: %s", sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

static int
store_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * Create the schema if the file is new.  Concurrent first requests all
 * see version 0; BEGIN EXCLUSIVE lets one of them create it and the
 * others find it made when they get the lock.
 */
static int
store_init(sqlite3 *db)
{
	char *err = NULL;
	int v;

	if ((v = store_version(db)) == STORE_VERSION)
		return 0;
	if (v < 0)
		goto fail;
	if (sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, &err) != SQLITE_OK)
		goto fail;
	if ((v = store_version(db)) == 0) {
		if (sqlite3_exec(db, store_schema, NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, &err) != SQLITE_OK) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	} else if (v != STORE_VERSION) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		log_msg("database has schema version %d, this program knows %d", v, STORE_VERSION);
		return -1;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK)
		goto fail;
	/* Persistent: set once, for every later connection. */
	if (sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, &err) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	log_msg("cannot create database schema: %s", err != NULL ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	return -1;
}

struct store *
store_open(const char *path)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int rc;

	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				 SQLITE_OPEN_NOFOLLOW,
			     NULL);
	if (rc != SQLITE_OK) {
		log_msg("cannot open database: %s",
			st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, OTP_DB_BUSY_MS);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	if (store_init(st->db) < 0)
		goto fail;
	/* Safe in WAL mode: a power cut may lose the last commit, never corrupt. */
	if (sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		log_msg("cannot set up database: %s", sqlite3_errmsg(st->db));
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

static int
store_simple(struct store *st, enum store_stmt which)
{
	sqlite3_stmt *s = store_stmt(st, which);

	return s == NULL ? -1 : store_step_done(st, s);
}

int
store_begin(struct store *st)
{
	return store_simple(st, STMT_BEGIN);
}

int
store_commit(struct store *st)
{
	return store_simple(st, STMT_COMMIT);
}

void
store_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->db) == 0)
		store_simple(st, STMT_ROLLBACK);
}

/* Run a purge statement for rows older than before. */
static int
store_purge_one(struct store *st, enum store_stmt which, time_t before)
{
	sqlite3_stmt *s = store_stmt(st, which);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	return store_step_done(st, s);
}

int
store_purge(struct store *st, time_t now)
{
	if (store_purge_one(st, STMT_PURGE, now - OTP_PURGE_AFTER) < 0 ||
	    store_purge_one(st, STMT_PURGE_SENDS, now - OTP_PURGE_SENDS) < 0 ||
	    store_purge_one(st, STMT_PURGE_FAILURES, now - OTP_PURGE_FAILURES) < 0 ||
	    store_purge_one(st, STMT_PURGE_ASSERTIONS, now - OTP_PURGE_ASSERTIONS) < 0)
		return -1;
	return 0;
}

/* Column i as text, "" for NULL. */
static const char *
store_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

int
store_get(struct store *st, const char *id, struct verification *v)
{
	sqlite3_stmt *s = store_stmt(st, STMT_GET);
	const char *status;
	int rc, i;

	if (s == NULL)
		return -1;
	memset(v, 0, sizeof(*v));
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		log_msg("database error: %s", sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		return -1;
	}
	snprintf(v->id, sizeof(v->id), "%s", id);
	snprintf(v->phone, sizeof(v->phone), "%s", store_text(s, 0));
	if (sqlite3_column_bytes(s, 1) == OTP_MAC_LEN)
		memcpy(v->mac, sqlite3_column_blob(s, 1), OTP_MAC_LEN);
	v->created = (time_t)sqlite3_column_int64(s, 2);
	v->expires = (time_t)sqlite3_column_int64(s, 3);
	v->attempts = sqlite3_column_int(s, 4);
	status = (const char *)sqlite3_column_text(s, 5);
	/* Unknown status: treat as dead rather than as pending. */
	v->status = STATUS_FAILED;
	for (i = 0; i < (int)(sizeof(store_status_name) / sizeof(store_status_name[0])); i++)
		if (status != NULL && !strcmp(status, store_status_name[i]))
			v->status = (enum store_status)i;
	snprintf(v->message_id, sizeof(v->message_id), "%s", store_text(s, 6));
	snprintf(v->return_to, sizeof(v->return_to), "%s", store_text(s, 7));
	sqlite3_reset(s);
	return 1;
}

int
store_put(struct store *st, const struct verification *v)
{
	sqlite3_stmt *s = store_stmt(st, STMT_PUT);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, v->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, v->phone, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, v->mac, OTP_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)v->created);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)v->expires);
	sqlite3_bind_int(s, 6, v->attempts);
	sqlite3_bind_text(s, 7, store_status_name[v->status], -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, v->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, v->return_to, -1, SQLITE_STATIC);
	return store_step_done(st, s);
}

int
store_set_message_id(struct store *st, const char *id, const char *message_id)
{
	sqlite3_stmt *s = store_stmt(st, STMT_SET_MESSAGE_ID);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, message_id, -1, SQLITE_STATIC);
	return store_step_done(st, s);
}

int
store_fail(struct store *st, const char *id, const unsigned char mac[OTP_MAC_LEN])
{
	sqlite3_stmt *s = store_stmt(st, STMT_FAIL);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, mac, OTP_MAC_LEN, SQLITE_STATIC);
	return store_step_done(st, s);
}

int
store_count(struct store *st, enum store_scope scope, const char *key, time_t since,
	    struct store_count *out)
{
	static const enum store_stmt which[] = {
	    [SCOPE_PHONE] = STMT_COUNT_PHONE,       [SCOPE_CLIENT] = STMT_COUNT_CLIENT,
	    [SCOPE_COUNTRY] = STMT_COUNT_COUNTRY,   [SCOPE_ALL] = STMT_COUNT_ALL,
	    [SCOPE_FAILURES] = STMT_COUNT_FAILURES,
	};
	sqlite3_stmt *s = store_stmt(st, which[scope]);

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)since);
	if (scope != SCOPE_ALL)
		sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		log_msg("database error: %s", sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		return -1;
	}
	out->n = sqlite3_column_int64(s, 0);
	out->oldest = (time_t)sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return 0;
}

int
store_add_send(struct store *st, time_t now, const char *phone, const char *client,
	       const char *country)
{
	sqlite3_stmt *s = store_stmt(st, STMT_ADD_SEND);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_text(s, 2, phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, client, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, country, -1, SQLITE_STATIC);
	return store_step_done(st, s);
}

int
store_add_failure(struct store *st, time_t now, const char *phone)
{
	sqlite3_stmt *s = store_stmt(st, STMT_ADD_FAILURE);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_text(s, 2, phone, -1, SQLITE_STATIC);
	return store_step_done(st, s);
}

int
store_mark_assertion(struct store *st, const char *vid, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, STMT_MARK_ASSERTION);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, vid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	if (store_step_done(st, s) < 0)
		return -1;
	return sqlite3_changes(st->db) == 1 ? 1 : 0;
}

int
store_phone_attempts(struct store *st, const char *phone, time_t now, int *n, time_t *expires)
{
	sqlite3_stmt *s = store_stmt(st, STMT_PHONE_ATTEMPTS);

	*n = 0;
	*expires = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	if (sqlite3_step(s) != SQLITE_ROW) {
		log_msg("database error: %s", sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		return -1;
	}
	*n = sqlite3_column_int(s, 0);
	*expires = (time_t)sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return 0;
}
