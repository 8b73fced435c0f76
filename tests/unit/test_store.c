/*
 * Proves the store (its SQLite engine) on real files: the first open
 * creates the schema (user_version LATEST, WAL, mode 0600, no file left
 * beside it), a version-1 file is upgraded and keeps its rows, a file
 * without a schema, a stale -wal without its database and a dangling
 * symbolic link are refused untouched, rows round-trip field by field, a put with the
 * same id replaces, purge deletes only what has been dead longer than
 * OTP_PURGE_AFTER, store_fail() kills only the pending code whose hash
 * matches, rollback undoes, a second handle sees only committed rows, bad
 * paths and foreign files fail with a log line, send and wrong-code counts
 * and used assertions are kept as long as the limits need them, and
 * concurrent processes (each its own connection, as CGI processes are)
 * lose no update and never fail with "database is locked".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_schema.h" /* the engines' statements, and store_engine.h */
#include "store.h"
#include "unit.h"

/* The schema version sql/schema.sql makes (its last PRAGMA user_version). */
#define LATEST "10"
#define NEWER  "11" /* a version after it */

#define ID1 "00112233445566778899aabbccddeeff"
#define ID2 "ffeeddccbbaa99887766554433221100"

struct fixture {
	char dir[256];
	char path[300];
	struct store *st;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	unit_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/otp.db", f->dir);
	f->st = store_open(f->path);
	if (f->st == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	unit_rmtree(f->dir);
	free(f);
	return 0;
}

/* The time the fail tests run at: make()'s codes live until 1700000300 + seed. */
#define NOW ((time_t)1700000100)

/* A verification with every field set from seed. */
static void
make(struct verification *v, const char *id, int seed)
{
	int i;

	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id);
	snprintf(v->phone, sizeof(v->phone), "+1202555%04d", seed);
	for (i = 0; i < OTP_MAC_LEN; i++)
		v->mac[i] = (unsigned char)(seed * 7 + i);
	v->created = 1700000000 + seed;
	v->expires = v->created + 300;
	v->attempts = seed % 5;
	v->status = STATUS_PENDING;
	snprintf(v->message_id, sizeof(v->message_id), "msg-%d", seed);
	snprintf(v->return_to, sizeof(v->return_to), "/account/%d?x=1", seed);
}

static void
assert_same(const struct verification *a, const struct verification *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->phone, b->phone);
	assert_memory_equal(a->mac, b->mac, OTP_MAC_LEN);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->expires, b->expires);
	assert_int_equal(a->attempts, b->attempts);
	assert_int_equal(a->status, b->status);
	assert_string_equal(a->message_id, b->message_id);
	assert_string_equal(a->return_to, b->return_to);
	assert_int_equal(a->prev_expires, b->prev_expires);
	if (a->prev_expires > 0)
		assert_memory_equal(a->prev_mac, b->prev_mac, OTP_MAC_LEN);
}

/* One integer or text from an SQL query on path, through a connection of our own. */
static void
query(const char *path, const char *sql, char *out, size_t size)
{
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, size, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* How many entries of dir have a name that starts with prefix. */
static int
count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

static void
test_schema(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	char out[64];

	query(f->path, "PRAGMA user_version", out, sizeof(out));
	assert_string_equal(out, LATEST);
	query(f->path, "PRAGMA journal_mode", out, sizeof(out));
	assert_string_equal(out, "wal");
	query(f->path, "SELECT count(*) FROM sqlite_master WHERE name = 'verification'", out,
	      sizeof(out));
	assert_string_equal(out, "1");
	query(f->path,
	      "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
	      "name = 'verification_message_id'",
	      out, sizeof(out));
	assert_string_equal(out, "1");
	/* Only the owner may read it; the temporary file it was built in is gone. */
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(count_files(f->dir, "otp.db.new-"), 0);
	/* Opening again finds the schema made and leaves it alone. */
	store_close(f->st);
	f->st = store_open(f->path);
	assert_non_null(f->st);
	query(f->path, "PRAGMA user_version", out, sizeof(out));
	assert_string_equal(out, LATEST);
	/* Closed, nothing is left beside it. */
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(count_files(f->dir, ""), 3); /* ".", "..", otp.db */
}

/* Run sql on a new file at path with a connection of our own. */
static void
make_db(const char *path, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		print_error("%s: %s\n", path, err);
	assert_null(err);
	sqlite3_close(db);
}

/*
 * A file of version 1, made by the programs before this one (the schema
 * of tests/data/schema-v1.sql, as sql/schema.sql was then), in rollback
 * mode as the first requests could leave it: the first open upgrades it
 * to version 2, in WAL mode, with its rows.
 */
static void
test_upgrade_from_v1(void **state)
{
	struct fixture *f = *state;
	struct verification v, got;
	char path[400], out[64], *schema, *log;
	struct store *st;

	schema = unit_read_file("tests/data/schema-v1.sql", NULL);
	assert_non_null(schema);
	snprintf(path, sizeof(path), "%s/v1.db", f->dir);
	make_db(path, schema);
	free(schema);
	make_db(path,
		"PRAGMA user_version = 1;"
		"INSERT INTO verification (id, phone, mac, created, expires, attempts, status) "
		"VALUES ('" ID1 "', '+12025550001', zeroblob(32), 1, 4102444800, 2, 'pending');"
		"INSERT INTO send (at, phone, client, country) VALUES (1, '+12025550001', "
		"'192.0.2.1', '+1')");
	unit_cap_begin();
	st = store_open(path);
	log = unit_cap_end();
	assert_non_null(st);
	assert_non_null(strstr(log, "upgraded from version 1 to " LATEST));
	free(log);
	query(path, "PRAGMA user_version", out, sizeof(out));
	assert_string_equal(out, LATEST);
	query(path, "PRAGMA journal_mode", out, sizeof(out));
	assert_string_equal(out, "wal");
	query(path,
	      "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
	      "name = 'verification_message_id'",
	      out, sizeof(out));
	assert_string_equal(out, "1");
	assert_int_equal(store_get(st, ID1, &got), 1);
	assert_int_equal(got.attempts, 2);
	assert_int_equal(got.status, STATUS_PENDING);
	query(path, "SELECT count(*) FROM send", out, sizeof(out));
	assert_string_equal(out, "1");
	/* And it works as a new one does. */
	make(&v, ID2, 2);
	assert_int_equal(store_put(st, &v), 0);
	assert_int_equal(store_get(st, ID2, &got), 1);
	assert_same(&v, &got);
	store_close(st);
	/* A second open has nothing to do. */
	unit_cap_begin();
	st = store_open(path);
	log = unit_cap_end();
	assert_non_null(st);
	assert_string_equal(log, "");
	free(log);
	store_close(st);
}

static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct verification v, got;
	int s;

	assert_int_equal(store_get(f->st, ID1, &got), 0);
	for (s = STATUS_PENDING; s <= STATUS_FAILED; s++) {
		make(&v, ID1, 10 + s);
		v.status = (enum store_status)s;
		assert_int_equal(store_put(f->st, &v), 0);
		assert_int_equal(store_get(f->st, ID1, &got), 1);
		assert_same(&v, &got);
	}
	/* Extremes of what fits. */
	make(&v, ID2, 1);
	snprintf(v.phone, sizeof(v.phone), "+123456789012345");
	memset(v.message_id, 'm', OTP_MSGID_MAX);
	v.message_id[OTP_MSGID_MAX] = '\0';
	memset(v.return_to, 'r', OTP_RETURN_MAX);
	v.return_to[OTP_RETURN_MAX] = '\0';
	memset(v.mac, 0, OTP_MAC_LEN);  /* NUL bytes in the blob */
	v.expires = (time_t)4102444800; /* 2100: past 32 bits */
	v.attempts = 10;
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_get(f->st, ID2, &got), 1);
	assert_same(&v, &got);
	/* The first row is still there, unchanged by the second. */
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_int_equal(got.status, STATUS_FAILED);
	/* An id that is not there. */
	assert_int_equal(store_get(f->st, "0123", &got), 0);
	assert_int_equal(store_get(f->st, "", &got), 0);
}

static void
test_replace(void **state)
{
	struct fixture *f = *state;
	struct verification v, got;
	char out[16];

	make(&v, ID1, 1);
	assert_int_equal(store_put(f->st, &v), 0);
	make(&v, ID1, 2);
	v.status = STATUS_LOCKED;
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_same(&v, &got);
	query(f->path, "SELECT count(*) FROM verification", out, sizeof(out));
	assert_string_equal(out, "1");
}

static void
test_purge(void **state)
{
	struct fixture *f = *state;
	struct verification v, got;
	const time_t now = 1800000000;
	char out[16];

	/* Dead for longer than OTP_PURGE_AFTER: goes. */
	make(&v, ID1, 1);
	v.expires = now - OTP_PURGE_AFTER - 1;
	assert_int_equal(store_put(f->st, &v), 0);
	/* Dead for exactly OTP_PURGE_AFTER: stays. */
	make(&v, ID2, 2);
	v.expires = now - OTP_PURGE_AFTER;
	assert_int_equal(store_put(f->st, &v), 0);
	/* Dead a moment ago, and alive: stay. */
	make(&v, "11111111111111111111111111111111", 3);
	v.expires = now - 1;
	assert_int_equal(store_put(f->st, &v), 0);
	make(&v, "22222222222222222222222222222222", 4);
	v.expires = now + 300;
	assert_int_equal(store_put(f->st, &v), 0);

	assert_int_equal(store_purge(f->st, now, 0), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 0);
	assert_int_equal(store_get(f->st, ID2, &got), 1);
	assert_int_equal(store_get(f->st, "11111111111111111111111111111111", &got), 1);
	assert_int_equal(store_get(f->st, "22222222222222222222222222222222", &got), 1);
	query(f->path, "SELECT count(*) FROM verification", out, sizeof(out));
	assert_string_equal(out, "3");
	/* Purging again changes nothing. */
	assert_int_equal(store_purge(f->st, now, 0), 0);
	query(f->path, "SELECT count(*) FROM verification", out, sizeof(out));
	assert_string_equal(out, "3");
}

static void
test_fail(void **state)
{
	struct fixture *f = *state;
	struct verification v, got;
	unsigned char other[OTP_MAC_LEN];

	make(&v, ID1, 1);
	assert_int_equal(store_put(f->st, &v), 0);
	/* Another code's hash (a newer request replaced it): left alone. */
	memcpy(other, v.mac, OTP_MAC_LEN);
	other[OTP_MAC_LEN - 1] ^= 1;
	assert_int_equal(store_fail(f->st, ID1, other, NOW), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_int_equal(got.status, STATUS_PENDING);
	/* Its own hash: dead. */
	assert_int_equal(store_fail(f->st, ID1, v.mac, NOW), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_int_equal(got.status, STATUS_FAILED);
	/* A code already used (or locked) stays what it is. */
	v.status = STATUS_USED;
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_fail(f->st, ID1, v.mac, NOW), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_int_equal(got.status, STATUS_USED);
	v.status = STATUS_LOCKED;
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_fail(f->st, ID1, v.mac, NOW), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_int_equal(got.status, STATUS_LOCKED);
	/* No such verification: nothing to do, no error. */
	assert_int_equal(store_fail(f->st, ID2, v.mac, NOW), 0);
	assert_int_equal(store_get(f->st, ID2, &got), 0);
}

/* A new code whose text could not be sent gives the pending place back to
 * the code before it while that one lives (issue 10's late codes). */
static void
test_fail_restores_previous_code(void **state)
{
	struct fixture *f = *state;
	struct verification v, got;
	unsigned char first[OTP_MAC_LEN];

	make(&v, ID1, 1);
	memcpy(first, v.mac, OTP_MAC_LEN);
	memcpy(v.prev_mac, first, OTP_MAC_LEN);
	v.prev_expires = v.expires;
	v.mac[0] ^= 0xff;
	v.expires += 30;
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_same(&v, &got);
	assert_memory_equal(got.prev_mac, first, OTP_MAC_LEN);
	assert_int_equal(got.prev_expires, v.prev_expires);
	assert_int_equal(store_fail(f->st, ID1, v.mac, NOW), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_int_equal(got.status, STATUS_PENDING);
	assert_memory_equal(got.mac, first, OTP_MAC_LEN);
	assert_int_equal(got.expires, v.prev_expires);
	assert_int_equal(got.prev_expires, 0);
	/* A newer code came meanwhile, making the failed one the code before:
	 * it is forgotten, the newer one stays. */
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_fail(f->st, ID1, first, NOW), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_int_equal(got.status, STATUS_PENDING);
	assert_memory_equal(got.mac, v.mac, OTP_MAC_LEN);
	assert_int_equal(got.prev_expires, 0);
	/* The same, with the code before already expired: the verification fails. */
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_fail(f->st, ID1, v.mac, v.prev_expires), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_int_equal(got.status, STATUS_FAILED);
	assert_int_equal(got.prev_expires, 0);
}

static void
test_set_message_id(void **state)
{
	struct fixture *f = *state;
	struct verification v, got;
	char out[16];

	make(&v, ID1, 1);
	v.message_id[0] = '\0';
	v.attempts = 3;
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(
	    store_set_message_id(f->st, ID1, "40385f64-5717-4562-b3fc-2c963f66afa6", NULL, 0), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_string_equal(got.message_id, "40385f64-5717-4562-b3fc-2c963f66afa6");
	/* Only that column changes. */
	assert_int_equal(got.attempts, 3);
	assert_memory_equal(got.mac, v.mac, OTP_MAC_LEN);
	assert_int_equal(store_set_message_id(f->st, ID2, "x", NULL, 0), 0);
	assert_int_equal(store_get(f->st, ID2, &got), 0);
	/* Without a phone, no message row: nothing reports on it. */
	query(f->path, "SELECT count(*) FROM message", out, sizeof(out));
	assert_string_equal(out, "0");
}

/* A receipt of status at stage for message mid. */
static int
receipt(struct store *st, const char *mid, const char *status, int stage, const char *error,
	long long cost, time_t now)
{
	const struct store_receipt r = {
	    .message_id = mid,
	    .phone = "+12025550143",
	    .status = status,
	    .stage = stage,
	    .error_code = error,
	    .currency = cost >= 0 ? "USD" : "",
	    .carrier = "Carrier",
	    .line_type = "Wireless",
	    .cost_micros = cost,
	    .parts = 1,
	};

	return store_receipt(st, &r, now);
}

static void
test_receipts(void **state)
{
	struct fixture *f = *state;
	struct verification v, got;
	const time_t now = 1800000000;
	char out[256];

	make(&v, ID1, 1);
	v.message_id[0] = '\0';
	assert_int_equal(store_put(f->st, &v), 0);
	/* Telnyx's message.sent can come before the send is written down. */
	assert_int_equal(receipt(f->st, "m1", "sent", 3, "", -1, now), 0);
	assert_int_equal(store_set_message_id(f->st, ID1, "m1", "+12025550143", now), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_string_equal(got.delivery, "sent");
	query(f->path, "SELECT vid || ' ' || phone || ' ' || sent_at FROM message", out,
	      sizeof(out));
	assert_string_equal(out, ID1 " +12025550143 1800000000");
	/* A final state, with its cost; then earlier ones, and another final one: no change. */
	assert_int_equal(receipt(f->st, "m1", "delivery_failed", 4, "40008", 5100, now + 1), 0);
	assert_int_equal(receipt(f->st, "m1", "queued", 1, "", -1, now + 2), 0);
	assert_int_equal(receipt(f->st, "m1", "sent", 3, "", 4000, now + 3), 0);
	assert_int_equal(receipt(f->st, "m1", "delivered", 4, "", -1, now + 4), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_string_equal(got.delivery, "delivery_failed");
	query(f->path,
	      "SELECT status || ' ' || stage || ' ' || error_code || ' ' || cost_micros || ' ' || "
	      "currency || ' ' || carrier || ' ' || updated FROM message",
	      out, sizeof(out));
	assert_string_equal(out, "delivery_failed 4 40008 5100 USD Carrier 1800000004");
	/* A put does not touch it; a new message id leaves the old one behind. */
	assert_int_equal(store_put(f->st, &got), 0);
	assert_int_equal(store_set_message_id(f->st, ID1, "m2", "+12025550143", now + 5), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_string_equal(got.delivery, "");
	/* The purge: a day after the last report. */
	assert_int_equal(store_purge(f->st, now + 4 + OTP_PURGE_MESSAGES, 0), 0);
	query(f->path, "SELECT count(*) FROM message", out, sizeof(out));
	assert_string_equal(out, "2");
	assert_int_equal(store_purge(f->st, now + 5 + OTP_PURGE_MESSAGES + 1, 0), 0);
	query(f->path, "SELECT count(*) FROM message", out, sizeof(out));
	assert_string_equal(out, "0");
}

static void
test_events(void **state)
{
	struct fixture *f = *state;
	const time_t now = 1800000000;
	char out[16];

	assert_int_equal(store_event_new(f->st, "e1", now), 1);
	assert_int_equal(store_event_new(f->st, "e1", now + 1), 0);
	assert_int_equal(store_event_new(f->st, "e2", now + 1), 1);
	assert_int_equal(store_purge(f->st, now + OTP_PURGE_EVENTS + 1, 0), 0);
	query(f->path, "SELECT group_concat(id) FROM webhook_event", out, sizeof(out));
	assert_string_equal(out, "e2");
	/* Forgotten after the purge: Telnyx stopped trying long before. */
	assert_int_equal(store_event_new(f->st, "e1", now + OTP_PURGE_EVENTS + 2), 1);
}

/* Calls (issue 25): found by their client_state; their id kept once;
 * their stage only forward; purged as messages, forgotten with the number. */
static void
test_calls(void **state)
{
	struct fixture *f = *state;
	struct store_call c;
	struct store_forgotten gone;
	const time_t now = 1800000000;
	char out[256];

	assert_int_equal(store_call_find(f->st, "q83vEjRWeJCrze8SNFZ4kA==", &c), 0);
	assert_int_equal(
	    store_call_add(f->st, "q83vEjRWeJCrze8SNFZ4kA==", ID1, "+12025550143", now), 0);
	/* A token is made for one call. */
	unit_cap_begin();
	assert_int_equal(
	    store_call_add(f->st, "q83vEjRWeJCrze8SNFZ4kA==", ID2, "+12025550143", now), -1);
	free(unit_cap_end());
	assert_int_equal(
	    store_call_add(f->st, "AAAAAAAAAAAAAAAAAAAAAA==", ID2, "+447911123456", now), 0);
	assert_int_equal(store_call_find(f->st, "q83vEjRWeJCrze8SNFZ4kA==", &c), 1);
	assert_string_equal(c.vid, ID1);
	assert_string_equal(c.phone, "+12025550143");
	assert_string_equal(c.call_id, "");
	assert_string_equal(c.status, "placed");
	assert_int_equal(c.stage, CALL_PLACED);
	assert_int_equal(c.created, now);
	/* Its id once; the same again is no change; another never replaces it. */
	assert_int_equal(store_call_set_id(f->st, "q83vEjRWeJCrze8SNFZ4kA==", "v3:one", now + 1),
			 1);
	assert_int_equal(store_call_set_id(f->st, "q83vEjRWeJCrze8SNFZ4kA==", "v3:one", now + 2),
			 1);
	assert_int_equal(store_call_set_id(f->st, "q83vEjRWeJCrze8SNFZ4kA==", "v3:two", now + 2),
			 0);
	assert_int_equal(store_call_set_id(f->st, "nothing", "v3:one", now + 2), 0);
	/* Forward only: a duplicate, or an event late, changes nothing. */
	assert_int_equal(store_call_stage(f->st, "q83vEjRWeJCrze8SNFZ4kA==", CALL_ANSWERED,
					  "answered", NULL, now + 3),
			 1);
	assert_int_equal(store_call_stage(f->st, "q83vEjRWeJCrze8SNFZ4kA==", CALL_ANSWERED,
					  "answered", NULL, now + 4),
			 0);
	assert_int_equal(store_call_stage(f->st, "q83vEjRWeJCrze8SNFZ4kA==", CALL_RINGING,
					  "initiated", NULL, now + 4),
			 0);
	assert_int_equal(store_call_stage(f->st, "q83vEjRWeJCrze8SNFZ4kA==", CALL_ENDED, "hangup",
					  "normal_clearing", now + 5),
			 1);
	assert_int_equal(store_call_stage(f->st, "q83vEjRWeJCrze8SNFZ4kA==", CALL_SPOKEN,
					  "speak_ended", NULL, now + 6),
			 0);
	assert_int_equal(store_call_stage(f->st, "nothing", CALL_ENDED, "hangup", "", now + 6), 0);
	assert_int_equal(store_call_find(f->st, "q83vEjRWeJCrze8SNFZ4kA==", &c), 1);
	assert_string_equal(c.call_id, "v3:one");
	assert_string_equal(c.status, "hangup");
	assert_int_equal(c.stage, CALL_ENDED);
	assert_string_equal(c.cause, "normal_clearing");
	assert_int_equal(c.updated, now + 5);
	/* otp-admin forget: the number's calls, not the other's. */
	assert_int_equal(store_forget(f->st, "+447911123456", &gone), 0);
	assert_int_equal(gone.call, 1);
	query(f->path, "SELECT group_concat(state) FROM voice_call", out, sizeof(out));
	assert_string_equal(out, "q83vEjRWeJCrze8SNFZ4kA==");
	/* Purged as the messages are: a day after the last event. */
	assert_int_equal(store_purge(f->st, now + 5 + OTP_PURGE_MESSAGES, 0), 0);
	assert_int_equal(store_call_find(f->st, "q83vEjRWeJCrze8SNFZ4kA==", &c), 1);
	assert_int_equal(store_purge(f->st, now + 6 + OTP_PURGE_MESSAGES, 0), 0);
	assert_int_equal(store_call_find(f->st, "q83vEjRWeJCrze8SNFZ4kA==", &c), 0);
}

static void
test_transactions(void **state)
{
	struct fixture *f = *state;
	struct verification v, got;

	make(&v, ID1, 1);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	store_rollback(f->st);
	assert_int_equal(store_get(f->st, ID1, &got), 0);

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_get(f->st, ID1, &got), 1);

	/* A change rolled back leaves the committed row as it was. */
	assert_int_equal(store_begin(f->st), 0);
	v.attempts = 4;
	v.status = STATUS_LOCKED;
	assert_int_equal(store_put(f->st, &v), 0);
	store_rollback(f->st);
	assert_int_equal(store_get(f->st, ID1, &got), 1);
	assert_int_equal(got.attempts, 1);
	assert_int_equal(got.status, STATUS_PENDING);

	/* Rollback outside a transaction is harmless; commit is an error. */
	store_rollback(f->st);
	unit_cap_begin();
	assert_int_equal(store_commit(f->st), -1);
	free(unit_cap_end());
	/* So is a transaction inside a transaction. */
	assert_int_equal(store_begin(f->st), 0);
	unit_cap_begin();
	assert_int_equal(store_begin(f->st), -1);
	free(unit_cap_end());
	store_rollback(f->st);
}

static void
test_two_handles(void **state)
{
	struct fixture *f = *state;
	struct store *other = store_open(f->path);
	struct verification v, got;

	assert_non_null(other);
	make(&v, ID1, 1);
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_get(other, ID1, &got), 1);
	assert_same(&v, &got);
	/* Readers see committed rows only, and do not wait for the writer. */
	assert_int_equal(store_begin(f->st), 0);
	make(&v, ID2, 2);
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_get(other, ID2, &got), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_get(other, ID2, &got), 1);
	/* And the other way round. */
	assert_int_equal(store_fail(other, ID2, v.mac, NOW), 0);
	assert_int_equal(store_get(f->st, ID2, &got), 1);
	assert_int_equal(got.status, STATUS_FAILED);
	store_close(other);
}

/* store_open() on path must fail with a log line containing what. */
static void
assert_open_fails(const char *path, const char *what)
{
	struct store *st;
	char *log;

	unit_cap_begin();
	st = store_open(path);
	log = unit_cap_end();
	if (st != NULL || strstr(log, what) == NULL)
		print_error("store_open(%s): %p, log: %s\n", path, (void *)st, log);
	store_close(st);
	assert_null(st);
	assert_non_null(strstr(log, what));
	free(log);
}

static void
test_open_fails(void **state)
{
	struct fixture *f = *state;
	char path[400];
	sqlite3 *db;

	/* A directory that does not exist (root could write anywhere else). */
	snprintf(path, sizeof(path), "%s/missing/otp.db", f->dir);
	assert_open_fails(path, "cannot create database");
	/* A directory that is a file. */
	snprintf(path, sizeof(path), "%s/otp.db/x.db", f->dir);
	assert_open_fails(path, "cannot open database");
	/* A directory. */
	assert_open_fails(f->dir, "database");
	/* A file that is not a database. */
	snprintf(path, sizeof(path), "%s/notes.txt", f->dir);
	unit_write_file(path, "API_KEY='x'\n", 12);
	assert_open_fails(path, "not a database");
	/* A database of a later version of the program. */
	snprintf(path, sizeof(path), "%s/future.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "CREATE TABLE t (x); PRAGMA user_version = " NEWER, NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_open_fails(path, "database schema version " NEWER
				" is newer than this program (" LATEST ")");
	/* A symbolic link is not followed, to a database or to nothing. */
	snprintf(path, sizeof(path), "%s/link.db", f->dir);
	assert_int_equal(symlink(f->path, path), 0);
	assert_open_fails(path, "cannot open database");
	snprintf(path, sizeof(path), "%s/dangling.db", f->dir);
	assert_int_equal(symlink("made.db", path), 0);
	assert_open_fails(path, "cannot open database");
	snprintf(path, sizeof(path), "%s/made.db", f->dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(count_files(f->dir, "dangling.db.new-"), 0);
}

/* Files that are there are never made into databases, and stay as they were. */
static void
test_refused_untouched(void **state)
{
	struct fixture *f = *state;
	char path[400], side[420];
	struct stat sb;
	sqlite3 *db;

	/* An empty file (touched by hand, or left by a crash). */
	snprintf(path, sizeof(path), "%s/empty.db", f->dir);
	unit_write_file(path, "", 0);
	assert_open_fails(path, "database has no schema (version 0)");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	/* A database of something else. */
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_open_fails(path, "database has no schema");
	/* A -wal left from a database deleted alone: a new file would
	 * take its pages, so none is made. */
	snprintf(path, sizeof(path), "%s/gone.db", f->dir);
	snprintf(side, sizeof(side), "%s-wal", path);
	unit_write_file(side, "x", 1);
	assert_open_fails(path, "is left from a deleted one");
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(count_files(f->dir, "gone.db.new-"), 0);
	unlink(side);
	snprintf(side, sizeof(side), "%s-journal", path);
	unit_write_file(side, "x", 1);
	assert_open_fails(path, "is left from a deleted one");
	unlink(side);
	/* Once it is moved away, the file is made. */
	store_close(f->st);
	f->st = store_open(path);
	assert_non_null(f->st);
}

/*
 * Each of PROCS processes opens its own connection and runs ROUNDS
 * read-modify-write transactions on one row, as concurrent verify.cgi
 * processes do.  Every increment must land: BEGIN IMMEDIATE serialises
 * them, the busy timeout makes writers wait instead of failing.
 */
#define PROCS  20
#define ROUNDS 20

static int
child_increment(const char *path)
{
	struct store *st = store_open(path);
	struct verification v;
	int i;

	if (st == NULL)
		return 1;
	for (i = 0; i < ROUNDS; i++) {
		if (store_begin(st) < 0 || store_get(st, ID1, &v) != 1)
			goto fail;
		v.attempts++;
		if (store_put(st, &v) < 0 || store_commit(st) < 0)
			goto fail;
	}
	store_close(st);
	return 0;
fail:
	store_rollback(st);
	store_close(st);
	return 1;
}

/* Run fn(path) in n children started together; returns how many failed. */
static int
run_children(int n, int (*fn)(const char *), const char *path)
{
	int go[2], i, failed = 0, status;
	pid_t pid;

	assert_int_equal(pipe(go), 0);
	for (i = 0; i < n; i++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char c;

			close(go[1]);
			/* Wait for the start: all at once, for the most contention. */
			if (read(go[0], &c, 1) != 0)
				_exit(2);
			_exit(fn(path));
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < n; i++) {
		pid = wait(&status);
		assert_true(pid > 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	return failed;
}

static void
test_concurrent_increments(void **state)
{
	struct fixture *f = *state;
	struct verification v;

	make(&v, ID1, 0);
	v.attempts = 0;
	assert_int_equal(store_put(f->st, &v), 0);
	/* No connection of ours is open across fork(). */
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(run_children(PROCS, child_increment, f->path), 0);
	f->st = store_open(f->path);
	assert_non_null(f->st);
	assert_int_equal(store_get(f->st, ID1, &v), 1);
	assert_int_equal(v.attempts, PROCS * ROUNDS);
}

static int
child_open(const char *path)
{
	struct store *st = store_open(path);
	struct verification v;
	int rc;

	if (st == NULL)
		return 1;
	rc = store_get(st, ID1, &v) == 0 ? 0 : 1;
	store_close(st);
	return rc;
}

/* Many first requests at once on a new file: one makes it, the others
 * open what it made, and no temporary file is left. */
static void
test_concurrent_create(void **state)
{
	struct fixture *f = *state;
	char path[400], out[16], name[32];
	int round;

	for (round = 0; round < 5; round++) {
		snprintf(name, sizeof(name), "new%d.db", round);
		snprintf(path, sizeof(path), "%s/%s", f->dir, name);
		assert_int_equal(run_children(PROCS, child_open, path), 0);
		query(path, "PRAGMA user_version", out, sizeof(out));
		assert_string_equal(out, LATEST);
		query(path, "PRAGMA journal_mode", out, sizeof(out));
		assert_string_equal(out, "wal");
		snprintf(name, sizeof(name), "new%d.db.new-", round);
		assert_int_equal(count_files(f->dir, name), 0);
	}
}

/* A text (or inbound start) recorded at at. */
static void
sent(struct fixture *f, time_t at, const char *phone, const char *client, const char *country,
     int inbound, const char *net)
{
	const struct store_send s = {
	    phone, client, country, "", "", inbound ? WAY_INBOUND : WAY_SMS, net};

	assert_int_equal(store_add_send(f->st, at, &s), 0);
}

/* The count of scope for key (and net) after since. */
static long
counted(struct fixture *f, enum store_scope scope, const char *key, const char *net, time_t since)
{
	struct store_count c;

	assert_int_equal(store_count(f->st, scope, key, net, since, &c), 0);
	return c.n;
}

static void
test_send_counts(void **state)
{
	struct fixture *f = *state;
	struct store_count c;
	const time_t now = 1800000000;
	const char *a = "+12025550143", *na = "192.0.2.0/24", *nb = "198.51.100.0/24";

	assert_int_equal(store_count(f->st, SCOPE_TEXTS, a, NULL, now - 600, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.oldest, 0);
	sent(f, now - 700, a, "192.0.2.1", "+1", 0, na);
	sent(f, now - 100, a, "192.0.2.1", "+1", 0, na);
	sent(f, now - 50, a, "198.51.100.2", "+1", 0, nb);
	sent(f, now - 10, "+442079460958", "192.0.2.1", "+44", 0, na);
	/* Only rows after since, of that key (and network). */
	assert_int_equal(store_count(f->st, SCOPE_TEXTS, a, NULL, now - 600, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.oldest, now - 100);
	assert_int_equal(store_count(f->st, SCOPE_NET_TEXTS, a, na, now - 600, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.oldest, now - 100);
	assert_int_equal(counted(f, SCOPE_NET_TEXTS, a, nb, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_TEXTS, a, "203.0.113.0/24", now - 600), 0);
	assert_int_equal(counted(f, SCOPE_CLIENT, "192.0.2.1", NULL, now - 3600), 3);
	assert_int_equal(counted(f, SCOPE_COUNTRY, "+44", NULL, now - 3600), 1);
	assert_int_equal(counted(f, SCOPE_ALL, NULL, NULL, now - 3600), 4);
	assert_int_equal(store_add_failure(f->st, now - 5, a, na), 0);
	assert_int_equal(store_add_failure(f->st, now - 4, a, nb), 0);
	assert_int_equal(counted(f, SCOPE_FAILURES, a, NULL, now - 3600), 2);
	assert_int_equal(counted(f, SCOPE_NET_FAILURES, a, na, now - 3600), 1);
	/* An inbound start (nothing sent): the texts and the caps on texts
	 * (all, a country's, a client's) do not count it; the inbound counts do. */
	sent(f, now - 4, a, "192.0.2.1", "+1", 1, na);
	assert_int_equal(counted(f, SCOPE_TEXTS, a, NULL, now - 600), 2);
	assert_int_equal(counted(f, SCOPE_NET_TEXTS, a, na, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_INBOUND, a, NULL, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_INBOUND, a, na, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_INBOUND, a, nb, now - 600), 0);
	assert_int_equal(counted(f, SCOPE_CLIENT, "192.0.2.1", NULL, now - 3600), 3);
	assert_int_equal(counted(f, SCOPE_CLIENT_INBOUND, "192.0.2.1", NULL, now - 3600), 1);
	assert_int_equal(counted(f, SCOPE_ALL, NULL, NULL, now - 3600), 4);
	assert_int_equal(counted(f, SCOPE_COUNTRY, "+1", NULL, now - 3600), 3);
	/* A text refused by the provider: no longer a text sent (the number's
	 * day, the caps), still asked for (its network, its client). */
	assert_int_equal(store_unsend(f->st, now - 50, a, "198.51.100.2", WAY_SMS), 0);
	assert_int_equal(counted(f, SCOPE_TEXTS, a, NULL, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_TEXTS, a, nb, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_CLIENT, "198.51.100.2", NULL, now - 3600), 1);
	assert_int_equal(counted(f, SCOPE_ALL, NULL, NULL, now - 3600), 3);
	assert_int_equal(counted(f, SCOPE_COUNTRY, "+1", NULL, now - 3600), 2);
	/* None to refuse: nothing changes. */
	assert_int_equal(store_unsend(f->st, now - 50, a, "198.51.100.2", WAY_SMS), 0);
	assert_int_equal(counted(f, SCOPE_ALL, NULL, NULL, now - 3600), 3);
	/* Purge: sends older than a day, failures older than an hour. */
	assert_int_equal(store_purge(f->st, now + 86400 - 200, 0), 0);
	assert_int_equal(counted(f, SCOPE_ALL, NULL, NULL, 0), 2);
	assert_int_equal(counted(f, SCOPE_FAILURES, a, NULL, 0), 0);
}

/*
 * Calls (issue 25): every count of texts takes them (the number's, its
 * network's, the client's, the caps, the network's unverified ones),
 * SCOPE_CALLS (VOICE_PHONE_LIMIT) and SCOPE_NET_CALLS (a network's share)
 * only them, and each way has its own cooldown (SCOPE_NET_SMS,
 * SCOPE_NET_CALL_TRIES).  The spend is VOICE_PRICE a call.  A refused call leaves what counts calls
 * placed, stays in its asker's counts and call cooldown, and leaves a text of the same second
 * alone.
 */
static void
test_call_counts(void **state)
{
	struct fixture *f = *state;
	const time_t now = 1800000000;
	const char *a = "+12025550101", *na = "192.0.2.0/24", *nb = "198.51.100.0/24";
	const struct store_send text = {a, "192.0.2.1", "+1", "+1202555", "+1", WAY_SMS, na};
	const struct store_send call = {a, "192.0.2.1", "+1", "+1202555", "+1", WAY_VOICE, na};
	const struct store_send other = {a, "198.51.100.1", "+1", "+1202555", "+1", WAY_VOICE, nb};
	const struct store_send shown = {a,    "198.51.100.1", "+1", "+1202555",
					 "+1", WAY_INBOUND,    nb};
	long long spent;

	/* A text and a call of one visitor in one second, a call from
	 * another network, an inbound start. */
	assert_int_equal(store_add_send(f->st, now - 100, &text), 0);
	assert_int_equal(store_add_send(f->st, now - 100, &call), 0);
	assert_int_equal(store_add_send(f->st, now - 50, &other), 0);
	assert_int_equal(store_add_send(f->st, now - 40, &shown), 0);
	assert_int_equal(counted(f, SCOPE_TEXTS, a, NULL, now - 600), 3);
	assert_int_equal(counted(f, SCOPE_CALLS, a, NULL, now - 600), 2);
	assert_int_equal(counted(f, SCOPE_NET_TEXTS, a, na, now - 600), 2);
	assert_int_equal(counted(f, SCOPE_NET_TEXTS, a, nb, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_SMS, a, na, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_SMS, a, nb, now - 600), 0);
	assert_int_equal(counted(f, SCOPE_NET_CALLS, a, na, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_CALLS, a, nb, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_CLIENT, "192.0.2.1", NULL, now - 3600), 2);
	assert_int_equal(counted(f, SCOPE_NET_UNVERIFIED, na, NULL, now - 3600), 2);
	assert_int_equal(counted(f, SCOPE_ALL, NULL, NULL, now - 3600), 3);
	assert_int_equal(counted(f, SCOPE_COUNTRY, "+1", NULL, now - 3600), 3);
	/* The windows: the call of now - 50 alone after now - 60. */
	assert_int_equal(counted(f, SCOPE_CALLS, a, NULL, now - 60), 1);
	assert_int_equal(counted(f, SCOPE_NET_CALLS, a, na, now - 60), 0);
	/* A text at 0.05 (no cost reported), two calls at 0.10. */
	assert_int_equal(store_spend(f->st, now - 3600, "USD", 50000, 100000, &spent), 0);
	assert_int_equal(spent, 250000);
	/* The call of now - 100 refused: not the text of its second. */
	assert_int_equal(store_unsend(f->st, now - 100, a, "192.0.2.1", WAY_VOICE), 0);
	assert_int_equal(counted(f, SCOPE_TEXTS, a, NULL, now - 600), 2);
	assert_int_equal(counted(f, SCOPE_CALLS, a, NULL, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_SMS, a, na, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_CALL_TRIES, a, na, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_CALLS, a, na, now - 600), 0);
	assert_int_equal(counted(f, SCOPE_NET_TEXTS, a, na, now - 600), 2);
	assert_int_equal(counted(f, SCOPE_CLIENT, "192.0.2.1", NULL, now - 3600), 2);
	assert_int_equal(counted(f, SCOPE_NET_UNVERIFIED, na, NULL, now - 3600), 2);
	assert_int_equal(counted(f, SCOPE_ALL, NULL, NULL, now - 3600), 2);
	assert_int_equal(counted(f, SCOPE_COUNTRY, "+1", NULL, now - 3600), 2);
	assert_int_equal(store_spend(f->st, now - 3600, "USD", 50000, 100000, &spent), 0);
	assert_int_equal(spent, 150000);
	/* No second call of that second to refuse: nothing changes. */
	assert_int_equal(store_unsend(f->st, now - 100, a, "192.0.2.1", WAY_VOICE), 0);
	assert_int_equal(counted(f, SCOPE_TEXTS, a, NULL, now - 600), 2);
	/* Then its text refused: the text's cooldown keeps it, the calls' not. */
	assert_int_equal(store_unsend(f->st, now - 100, a, "192.0.2.1", WAY_SMS), 0);
	assert_int_equal(counted(f, SCOPE_TEXTS, a, NULL, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_CALLS, a, NULL, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_SMS, a, na, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_CALL_TRIES, a, na, now - 600), 1);
	assert_int_equal(counted(f, SCOPE_NET_CALLS, a, na, now - 600), 0);
	assert_int_equal(counted(f, SCOPE_NET_TEXTS, a, na, now - 600), 2);
	assert_int_equal(store_spend(f->st, now - 3600, "USD", 50000, 100000, &spent), 0);
	assert_int_equal(spent, 100000);
	/* A spend since after them all: nothing. */
	assert_int_equal(store_spend(f->st, now - 10, "USD", 50000, 100000, &spent), 0);
	assert_int_equal(spent, 0);
}

/*
 * The breaker's counts of a prefix: texts old enough to judge, those
 * verified, the networks of the others; the young ones not verified and
 * their networks.
 */
static void
test_conversion_counts(void **state)
{
	struct fixture *f = *state;
	struct store_conversion c;
	struct verification v;
	const time_t now = 1800000000;
	const struct store_send s[] = {
	    {"+12025550101", "192.0.2.1", "+1", "+1202555", "+1", 0, "192.0.2.0/24"},
	    {"+12025550102", "192.0.2.2", "+1", "+1202555", "+1", 0, "192.0.2.0/24"},
	    {"+12025550103", "198.51.100.1", "+1", "+1202555", "+1", 0, "198.51.100.0/24"},
	    {"+12025550104", "203.0.113.1", "+1", "+1202555", "+1", 0, "203.0.113.0/24"},
	    {"+12025550105", "203.0.113.1", "+1", "+1202555", "+1", 1, "203.0.113.0/24"},
	    {"+13035550101", "203.0.113.1", "+1", "+1303555", "+1", 0, "203.0.113.0/24"},
	};
	size_t i;

	for (i = 0; i < 4; i++)
		assert_int_equal(store_add_send(f->st, now - 300 + (time_t)i, &s[i]), 0);
	assert_int_equal(store_add_send(f->st, now - 10, &s[4]), 0);
	assert_int_equal(store_add_send(f->st, now - 10, &s[5]), 0);
	assert_int_equal(store_add_send(f->st, now - 5, &s[3]), 0);
	/* +12025550101 verified after its text. */
	memset(&v, 0, sizeof(v));
	snprintf(v.phone, sizeof(v.phone), "%s", "+12025550101");
	snprintf(v.prefix, sizeof(v.prefix), "%s", "+1202555");
	assert_int_equal(store_add_verified(f->st, now - 200, &v), 0);
	assert_int_equal(store_conversion(f->st, "+1202555", now - 3600, now - 60, &c), 0);
	assert_int_equal(c.sends, 4);
	assert_int_equal(c.verified, 1);
	assert_int_equal(c.nets, 3);  /* 192.0.2, 198.51.100, 203.0.113 */
	assert_int_equal(c.fresh, 1); /* the inbound start is no text */
	assert_int_equal(c.fresh_nets, 1);
	/* A refused text is no text. */
	assert_int_equal(store_unsend(f->st, now - 299, "+12025550102", "192.0.2.2", WAY_SMS), 0);
	assert_int_equal(store_conversion(f->st, "+1202555", now - 3600, now - 60, &c), 0);
	assert_int_equal(c.sends, 3);
	assert_int_equal(c.nets, 2);
}

/*
 * The wrong tries a new code for a number starts from: the most of the
 * number's live codes asked from that network that were not used; used
 * and expired ones, other networks' and other numbers' codes, do not
 * count.
 */
static void
test_phone_attempts(void **state)
{
	struct fixture *f = *state;
	struct verification v;
	const time_t now = 1700000100;
	const char *net = "192.0.2.0/24";
	time_t until;
	int n;

	assert_int_equal(store_phone_attempts(f->st, "+12025550001", net, now, &n, &until), 0);
	assert_int_equal(n, 0);
	make(&v, ID1, 1); /* +12025550001, expires 1700000301 */
	v.attempts = 2;
	snprintf(v.net, sizeof(v.net), "%s", net);
	assert_int_equal(store_put(f->st, &v), 0);
	make(&v, ID2, 1);
	v.attempts = 4;
	v.status = STATUS_LOCKED;
	v.expires = now + 50;
	snprintf(v.net, sizeof(v.net), "%s", net);
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_phone_attempts(f->st, "+12025550001", net, now, &n, &until), 0);
	assert_int_equal(n, 4);
	assert_int_equal(until, 1700000301);
	/* Another network's visitor starts afresh. */
	assert_int_equal(
	    store_phone_attempts(f->st, "+12025550001", "198.51.100.0/24", now, &n, &until), 0);
	assert_int_equal(n, 0);
	/* Once the locked one has expired, only the live one counts. */
	assert_int_equal(store_phone_attempts(f->st, "+12025550001", net, now + 60, &n, &until), 0);
	assert_int_equal(n, 2);
	/* A used code starts nothing; another number is another count. */
	make(&v, ID1, 1);
	v.attempts = 3;
	v.status = STATUS_USED;
	snprintf(v.net, sizeof(v.net), "%s", net);
	assert_int_equal(store_put(f->st, &v), 0);
	assert_int_equal(store_phone_attempts(f->st, "+12025550001", net, now + 60, &n, &until), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_phone_attempts(f->st, "+12025550002", net, now, &n, &until), 0);
	assert_int_equal(n, 0);
}

/*
 * The networks behind a block of the breaker: those whose texts to the
 * prefix it counted as not verified when it made the block, the most
 * texts first, bounded, with how many in all; texts verified by then,
 * too young, too old, inbound or to another prefix are not theirs, and an
 * operator's block has none.
 */
static void
test_block_nets(void **state)
{
	struct fixture *f = *state;
	struct store_block b = {"+1202555", 1800003600, "conversion", 1800000000};
	struct store_net nets[3];
	struct verification v;
	const time_t at = b.created;
	const struct store_send s[] = {
	    {"+12025550101", "192.0.2.1", "+1", "+1202555", "+1", 0, "192.0.2.0/24"},
	    {"+12025550102", "192.0.2.2", "+1", "+1202555", "+1", 0, "192.0.2.0/24"},
	    {"+12025550103", "198.51.100.1", "+1", "+1202555", "+1", 0, "198.51.100.0/24"},
	    {"+12025550104", "203.0.113.1", "+1", "+1202555", "+1", 0, "203.0.113.0/24"},
	    {"+12025550105", "203.0.114.1", "+1", "+1202555", "+1", 0, "203.0.114.0/24"},
	    /* Not counted: verified, inbound, young, old, another prefix. */
	    {"+12025550106", "203.0.115.1", "+1", "+1202555", "+1", 0, "203.0.115.0/24"},
	    {"+12025550107", "203.0.116.1", "+1", "+1202555", "+1", 1, "203.0.116.0/24"},
	    {"+12025550108", "203.0.117.1", "+1", "+1202555", "+1", 0, "203.0.117.0/24"},
	    {"+12025550109", "203.0.118.1", "+1", "+1202555", "+1", 0, "203.0.118.0/24"},
	    {"+13035550101", "203.0.119.1", "+1", "+1303555", "+1", 0, "203.0.119.0/24"},
	};
	const time_t when[] = {at - 300, at - 299, at - 298, at - 297,  at - 296,
			       at - 295, at - 294, at - 30,  at - 4000, at - 200};
	long total = -1;
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		assert_int_equal(store_add_send(f->st, when[i], &s[i]), 0);
	memset(&v, 0, sizeof(v));
	snprintf(v.phone, sizeof(v.phone), "%s", "+12025550106");
	snprintf(v.prefix, sizeof(v.prefix), "%s", "+1202555");
	assert_int_equal(store_add_verified(f->st, at - 100, &v), 0);
	/* Verified after the block: it was not, when the block was made. */
	snprintf(v.phone, sizeof(v.phone), "%s", "+12025550105");
	assert_int_equal(store_add_verified(f->st, at + 10, &v), 0);
	/* A window of an hour, a minute's grace: the most texts first, three shown. */
	assert_int_equal(store_block_nets(f->st, &b, 3600, 60, nets, 3, &total), 3);
	assert_int_equal(total, 4);
	assert_string_equal(nets[0].net, "192.0.2.0/24");
	assert_int_equal(nets[0].n, 2);
	assert_string_equal(nets[1].net, "198.51.100.0/24");
	assert_int_equal(nets[1].n, 1);
	assert_string_equal(nets[2].net, "203.0.113.0/24");
	/* The young text counts once the grace is shorter than its age. */
	assert_int_equal(store_block_nets(f->st, &b, 3600, 10, nets, 3, &total), 3);
	assert_int_equal(total, 5);
	/* The operator's block: no evidence behind it. */
	snprintf(b.reason, sizeof(b.reason), "%s", "operator");
	assert_int_equal(store_block_nets(f->st, &b, 3600, 60, nets, 3, &total), 0);
	assert_int_equal(total, 0);
	/* Nothing counted: none, and none in all. */
	snprintf(b.reason, sizeof(b.reason), "%s", "conversion");
	snprintf(b.prefix, sizeof(b.prefix), "%s", "+1404555");
	assert_int_equal(store_block_nets(f->st, &b, 3600, 60, nets, 3, &total), 0);
	assert_int_equal(total, 0);
}

/* A live code of phone asked from net with attempts wrong tries, of status. */
static void
code_of(struct fixture *f, const char *id, const char *phone, const char *net, int attempts,
	enum store_status status, time_t expires)
{
	struct verification v;

	make(&v, id, 1);
	snprintf(v.phone, sizeof(v.phone), "%s", phone);
	snprintf(v.net, sizeof(v.net), "%s", net);
	v.attempts = attempts;
	v.status = status;
	v.expires = expires;
	assert_int_equal(store_put(f->st, &v), 0);
}

/*
 * The lockouts otp-admin locks lists, kind by kind: at the limit, not
 * under it; per number and network, or per number; ending when the oldest
 * row counted leaves the window, or when the last locked code expires.
 */
static void
test_locks(void **state)
{
	struct fixture *f = *state;
	struct store_lock l[4];
	struct store_net nets[4];
	const time_t now = 1800000000;
	const char *a = "+12025550143", *b = "+12025550144";
	const char *na = "192.0.2.0/24", *nb = "198.51.100.0/24";
	long total = 0;
	int i;

	assert_int_equal(store_locks(f->st, LOCK_NET_FAILURES, now, 3600, 3, l, 4), 0);
	/* a: 3 wrong codes on na's codes (the first an hour ago: not counted
	 * any more), 1 on nb's; b: 2 on na's. */
	assert_int_equal(store_add_failure(f->st, now - 3600, a, na), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(store_add_failure(f->st, now - 600 + i, a, na), 0);
	assert_int_equal(store_add_failure(f->st, now - 500, a, nb), 0);
	assert_int_equal(store_add_failure(f->st, now - 400, b, na), 0);
	assert_int_equal(store_add_failure(f->st, now - 300, b, na), 0);
	assert_int_equal(store_locks(f->st, LOCK_NET_FAILURES, now, 3600, 3, l, 4), 1);
	assert_int_equal(l[0].kind, LOCK_NET_FAILURES);
	assert_string_equal(l[0].phone, a);
	assert_string_equal(l[0].net, na);
	assert_int_equal(l[0].n, 3);
	assert_int_equal(l[0].ends, now - 600 + 3600);
	assert_int_equal(store_locks(f->st, LOCK_NET_FAILURES, now, 3600, 2, l, 4), 2);
	assert_string_equal(l[1].phone, b);
	/* Per number, over every network: a has 4, b 2. */
	assert_int_equal(store_locks(f->st, LOCK_FAILURES, now, 3600, 4, l, 4), 1);
	assert_string_equal(l[0].phone, a);
	assert_string_equal(l[0].net, "");
	assert_int_equal(l[0].n, 4);
	assert_int_equal(l[0].kind, LOCK_FAILURES);
	assert_int_equal(store_lock_nets(f->st, LOCK_FAILURES, a, now - 3600, nets, 4, &total), 2);
	assert_int_equal(total, 2);
	assert_string_equal(nets[0].net, na);
	assert_int_equal(nets[0].n, 3);
	assert_string_equal(nets[1].net, nb);
	assert_int_equal(store_lock_nets(f->st, LOCK_FAILURES, a, now - 3600, nets, 1, &total), 1);
	assert_int_equal(total, 2);
	/* No limit, no lock. */
	assert_int_equal(store_locks(f->st, LOCK_FAILURES, now, 3600, 0, l, 4), 0);

	/* Codes: a's locked one of na, and a pending one of na that has taken as
	 * many tries; b's with fewer tries, a used one, an expired one. */
	code_of(f, ID1, a, na, 5, STATUS_LOCKED, now + 100);
	code_of(f, ID2, a, na, 5, STATUS_PENDING, now + 200);
	code_of(f, "10000000000000000000000000000000", b, na, 4, STATUS_PENDING, now + 200);
	code_of(f, "20000000000000000000000000000000", b, nb, 5, STATUS_USED, now + 200);
	code_of(f, "30000000000000000000000000000000", b, nb, 5, STATUS_LOCKED, now - 1);
	assert_int_equal(store_locks(f->st, LOCK_CODE, now, 0, 5, l, 4), 1);
	assert_int_equal(l[0].kind, LOCK_CODE);
	assert_string_equal(l[0].phone, a);
	assert_string_equal(l[0].net, na);
	assert_int_equal(l[0].n, 2);
	assert_int_equal(l[0].ends, now + 200);

	/* Texts: asked from one network (refused ones too), sent to the number. */
	sent(f, now - 86400, b, "192.0.2.1", "+1", 0, na); /* a day ago: out */
	sent(f, now - 5000, b, "192.0.2.1", "+1", 0, na);
	sent(f, now - 4000, b, "192.0.2.1", "+1", 0, na);
	sent(f, now - 3000, b, "198.51.100.1", "+1", 0, nb);
	sent(f, now - 2000, b, "198.51.100.1", "+1", 1, nb); /* inbound: no text */
	assert_int_equal(store_unsend(f->st, now - 4000, b, "192.0.2.1", WAY_SMS), 0);
	assert_int_equal(store_locks(f->st, LOCK_NET_TEXTS, now, 86400, 2, l, 4), 1);
	assert_int_equal(l[0].kind, LOCK_NET_TEXTS);
	assert_string_equal(l[0].phone, b);
	assert_string_equal(l[0].net, na);
	assert_int_equal(l[0].n, 2);
	assert_int_equal(l[0].ends, now - 5000 + 86400);
	/* The refused text is no text sent: b had 2. */
	assert_int_equal(store_locks(f->st, LOCK_TEXTS, now, 86400, 3, l, 4), 0);
	assert_int_equal(store_locks(f->st, LOCK_TEXTS, now, 86400, 2, l, 4), 1);
	assert_int_equal(l[0].kind, LOCK_TEXTS);
	assert_string_equal(l[0].phone, b);
	assert_int_equal(l[0].n, 2);
	assert_int_equal(l[0].ends, now - 5000 + 86400);
	assert_int_equal(store_lock_nets(f->st, LOCK_TEXTS, b, now - 86400, nets, 4, &total), 2);
	assert_int_equal(total, 2);
	assert_string_equal(nets[0].net, na);
	assert_int_equal(nets[0].n, 1);
	assert_string_equal(nets[1].net, nb);
	assert_int_equal(nets[1].n, 1);
}

/*
 * otp-admin unlock: of one network, its codes and the wrong codes on them
 * only; of every network, all of them, and no code of the number hands a
 * wrong try on, not even one that failed to send.
 */
static void
test_unlock(void **state)
{
	struct fixture *f = *state;
	const time_t now = 1700000100;
	const char *a = "+12025550143", *na = "192.0.2.0/24", *nb = "198.51.100.0/24";
	long verifications, failures;
	struct store_lock l[4];
	time_t until;
	int n;

	code_of(f, ID1, a, na, 5, STATUS_LOCKED, now + 100);
	code_of(f, ID2, a, nb, 5, STATUS_LOCKED, now + 100);
	code_of(f, "10000000000000000000000000000000", a, nb, 3, STATUS_FAILED, now + 100);
	code_of(f, "20000000000000000000000000000000", a, nb, 2, STATUS_USED, now + 100);
	assert_int_equal(store_add_failure(f->st, now - 10, a, na), 0);
	assert_int_equal(store_add_failure(f->st, now - 9, a, nb), 0);
	assert_int_equal(store_add_failure(f->st, now - 8, a, nb), 0);
	assert_int_equal(store_unlock(f->st, a, na, &verifications, &failures), 0);
	assert_int_equal(verifications, 1);
	assert_int_equal(failures, 1);
	assert_int_equal(store_phone_attempts(f->st, a, na, now, &n, &until), 0);
	assert_int_equal(n, 0);
	assert_int_equal(counted(f, SCOPE_NET_FAILURES, a, na, now - 3600), 0);
	/* The other network's locks stay. */
	assert_int_equal(store_locks(f->st, LOCK_CODE, now, 0, 5, l, 4), 1);
	assert_string_equal(l[0].net, nb);
	assert_int_equal(counted(f, SCOPE_NET_FAILURES, a, nb, now - 3600), 2);
	/* Every network: the failed code's tries go too, the used one is left be. */
	assert_int_equal(store_unlock(f->st, a, NULL, &verifications, &failures), 0);
	assert_int_equal(verifications, 2);
	assert_int_equal(failures, 2);
	assert_int_equal(store_phone_attempts(f->st, a, nb, now, &n, &until), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_locks(f->st, LOCK_CODE, now, 0, 1, l, 4), 0);
	assert_int_equal(counted(f, SCOPE_FAILURES, a, NULL, now - 3600), 0);
	/* Nothing left: nothing changes. */
	assert_int_equal(store_unlock(f->st, a, NULL, &verifications, &failures), 0);
	assert_int_equal(verifications + failures, 0);
}

/*
 * Both engines have every statement of enum store_stmt, and each takes the
 * same arguments in both: SQLite's count as it prepares the statement on
 * the schema, PostgreSQL's the highest $n of its SQL.  An engine's "" runs
 * nothing (the other engine's statement before it did the work).
 */
static void
test_statements(void **state)
{
	sqlite3 *db = NULL;
	int i;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, store_schema, NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < STMT__MAX; i++) {
		const char *p = store_pg_sql[i];
		sqlite3_stmt *s = NULL;
		long most = 0, k;
		char *end;

		assert_non_null(store_sqlite_sql[i]);
		assert_non_null(store_pg_sql[i]);
		if (store_sqlite_sql[i][0] == '\0' || store_pg_sql[i][0] == '\0')
			continue;
		if (sqlite3_prepare_v2(db, store_sqlite_sql[i], -1, &s, NULL) != SQLITE_OK)
			fail_msg("statement %d: %s", i, sqlite3_errmsg(db));
		while ((p = strchr(p, '$')) != NULL)
			if ((k = strtol(++p, &end, 10)) > most && end > p)
				most = k;
		if (sqlite3_bind_parameter_count(s) != most)
			fail_msg("statement %d takes %d arguments in SQLite, %ld in PostgreSQL", i,
				 sqlite3_bind_parameter_count(s), most);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

/*
 * otp-admin stats per channel: the codes sent and verified by text, by
 * call and inbound after since, a send the provider refused in none; and
 * how the calls ended, each once, by its cause, else by its stage.
 */
static void
test_channel_counts(void **state)
{
	struct fixture *f = *state;
	struct store_channel_count ch[STORE_CHANNELS];
	struct store_call_ends e;
	const time_t now = 1800000000, since = now - 3600;
	/* Each call's state, its last stage, status and cause. */
	static const struct {
		const char *state;
		enum store_call_stage stage;
		const char *status, *cause;
	} calls[] = {
	    {"call-answered", CALL_ENDED, "hangup", "normal_clearing"},
	    {"call-time-limit", CALL_ENDED, "hangup", "time_limit"},
	    {"call-human", CALL_DETECTED, "detected", "human"},
	    {"call-no-answer", CALL_ENDED, "hangup", "no_answer"},
	    {"call-timeout", CALL_ENDED, "hangup", "timeout"},
	    {"call-busy", CALL_ENDED, "hangup", "user_busy"},
	    {"call-rejected", CALL_ENDED, "hangup", "call_rejected"},
	    {"call-machine", CALL_DETECTED, "detected", "machine"},
	    {"call-cancel", CALL_ENDED, "hangup", "originator_cancel"},
	    {"call-ringing", CALL_RINGING, "initiated", ""},
	};
	size_t i;

	assert_int_equal(store_channels(f->st, since, ch), 0);
	assert_int_equal(
	    ch[STORE_CH_SMS].sent + ch[STORE_CH_VOICE].sent + ch[STORE_CH_INBOUND].sent, 0);
	assert_int_equal(store_call_ends(f->st, since, &e), 0);
	assert_int_equal(e.answered + e.no_answer + e.busy + e.rejected + e.machine + e.other, 0);
	/* Rows as the programs write them, through a connection of our own
	 * (make_db() opens the file the store made): one of each channel
	 * before since, which is not counted. */
	make_db(f->path, "INSERT INTO send (at, phone, client, country, channel) VALUES"
			 " (1799999000, '+12025550143', 'c', '+1', 'sms'),"
			 " (1799999001, '+12025550144', 'c', '+1', 'sms'),"
			 " (1799999002, '+12025550145', 'c', '+1', 'refused'),"
			 " (1799999003, '+12025550146', 'c', '+1', 'voice'),"
			 " (1799999004, '+12025550147', 'c', '+1', 'voice'),"
			 " (1799999005, '+12025550148', 'c', '+1', 'voice'),"
			 " (1799999006, '+12025550149', 'c', '+1', 'inbound'),"
			 " (1799990000, '+12025550150', 'c', '+1', 'sms'),"
			 " (1799990000, '+12025550151', 'c', '+1', 'voice'),"
			 " (1799990000, '+12025550152', 'c', '+1', 'inbound');"
			 "INSERT INTO verified (at, phone, prefix, cc, channel) VALUES"
			 " (1799999100, '+12025550143', '', '', 'sms'),"
			 " (1799999101, '+12025550146', '', '', 'voice'),"
			 " (1799999102, '+12025550147', '', '', 'voice'),"
			 " (1799999103, '+12025550149', '', '', 'inbound'),"
			 " (1799990000, '+12025550151', '', '', 'voice');");
	assert_int_equal(store_channels(f->st, since, ch), 0);
	assert_int_equal(ch[STORE_CH_SMS].sent, 2);
	assert_int_equal(ch[STORE_CH_SMS].verified, 1);
	assert_int_equal(ch[STORE_CH_VOICE].sent, 3);
	assert_int_equal(ch[STORE_CH_VOICE].verified, 2);
	assert_int_equal(ch[STORE_CH_INBOUND].sent, 1);
	assert_int_equal(ch[STORE_CH_INBOUND].verified, 1);
	assert_int_equal(store_channels(f->st, 0, ch), 0);
	assert_int_equal(ch[STORE_CH_VOICE].sent, 4);
	assert_int_equal(ch[STORE_CH_VOICE].verified, 3);
	/* The calls, through the store's own calls; one placed before since. */
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		assert_int_equal(
		    store_call_add(f->st, calls[i].state, ID1, "+12025550146", now - 60), 0);
		assert_int_equal(store_call_stage(f->st, calls[i].state, calls[i].stage,
						  calls[i].status, calls[i].cause, now - 50),
				 1);
	}
	assert_int_equal(store_call_add(f->st, "call-old", ID2, "+12025550151", since), 0);
	assert_int_equal(
	    store_call_stage(f->st, "call-old", CALL_ENDED, "hangup", "user_busy", now), 1);
	assert_int_equal(store_call_ends(f->st, since, &e), 0);
	assert_int_equal(e.answered, 3);
	assert_int_equal(e.no_answer, 2);
	assert_int_equal(e.busy, 1);
	assert_int_equal(e.rejected, 1);
	assert_int_equal(e.machine, 1);
	assert_int_equal(e.other, 2);
	assert_int_equal(store_call_ends(f->st, since - 1, &e), 0);
	assert_int_equal(e.busy, 2);
	/* The machine's call hung up: the verdict stays what became of it. */
	assert_int_equal(store_call_stage(f->st, "call-machine", CALL_ENDED, "hangup",
					  "normal_clearing", now - 40),
			 1);
	assert_int_equal(store_call_ends(f->st, since, &e), 0);
	assert_int_equal(e.machine, 1);
	assert_int_equal(e.answered, 3);
}

static void
test_assertions_used_once(void **state)
{
	struct fixture *f = *state;
	const time_t now = 1800000000;

	assert_int_equal(store_mark_assertion(f->st, ID1, now), 1);
	assert_int_equal(store_mark_assertion(f->st, ID1, now + 1), 0);
	assert_int_equal(store_mark_assertion(f->st, ID2, now), 1);
	/* Kept for a day, then purged. */
	assert_int_equal(store_purge(f->st, now + 86400, 0), 0);
	assert_int_equal(store_mark_assertion(f->st, ID1, now + 86400), 0);
	assert_int_equal(store_purge(f->st, now + 86401, 0), 0);
	assert_int_equal(store_mark_assertion(f->st, ID1, now + 86401), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_statements),
	    cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_upgrade_from_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_untouched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fail, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fail_restores_previous_code, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_message_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_receipts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_calls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_handles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_increments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_assertions_used_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_call_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conversion_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_phone_attempts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_block_nets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_locks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unlock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_channel_counts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
