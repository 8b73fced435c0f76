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
 * The statements are sql/pg-statements.sql (compiled into lib/store_schema.h
 * as store_pg_sql[]), each with its parameters as $n, sent with
 * PQexecParams(): nothing is built from strings.  Hashes go as hex
 * (decode()/encode()), everything else as text.  The operations that run
 * them are the front's (lib/store_ops.c).  The URL is never logged: it
 * may hold a password.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "store_schema.h"
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
    [10] = store_pg_migrate_10,
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

/* The handle: the front's part first, so that a struct store * is one. */
struct store_pg {
	struct store base;
	PGconn *conn;
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

/* ---- statements -------------------------------------------------------- */

/* The most parameters a statement takes, and the room for each as text:
 * a number, or a hash as hex. */
#define STORE_PG_MAXARGS 24
#define STORE_PG_ARGLEN  (2 * OTP_MAC_LEN + 1)

/* A row: row r of a result. */
struct store_pg_row {
	struct store_row base;
	const PGresult *res;
	int r;
};

/* The parameters statement which takes: the highest $n of its SQL,
 * counted on first use. */
static int
store_pg_nparams(enum store_stmt which)
{
	static int counted[STMT__MAX]; /* the count + 1; 0: not yet */
	const char *p = store_pg_sql[which];
	long most = 0, k;
	char *end;

	if (counted[which] == 0) {
		while ((p = strchr(p, '$')) != NULL)
			if ((k = strtol(++p, &end, 10)) > most && end > p)
				most = k;
		counted[which] = (int)most + 1;
	}
	return counted[which] - 1;
}

/* Argument a as text into *v (NULL: SQL's NULL), written into buf where
 * it must be.  Returns 0, or -1 after logging. */
static int
store_pg_arg(const struct store_arg *a, char buf[STORE_PG_ARGLEN], const char **v)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = a->p;
	size_t i;

	*v = buf;
	switch (a->type) {
	case STORE_T_INT:
		snprintf(buf, STORE_PG_ARGLEN, "%lld", a->i);
		break;
	case STORE_T_TEXT:
		*v = a->p;
		break;
	case STORE_T_BLOB: /* hex, for decode($n, 'hex') */
		if (2 * a->len >= STORE_PG_ARGLEN) {
			log_msg("database error: a blob of %zu bytes", a->len);
			return -1;
		}
		for (i = 0; i < a->len; i++) {
			buf[2 * i] = digits[b[i] >> 4];
			buf[2 * i + 1] = digits[b[i] & 15];
		}
		buf[2 * a->len] = '\0';
		break;
	default:
		*v = NULL;
	}
	return 0;
}

static long
store_pg_run(struct store *st, enum store_stmt which, const struct store_arg *a, int n,
	     store_row_fn *fn, void *arg)
{
	PGconn *conn = store_pg_of(st)->conn;
	const char *v[STORE_PG_MAXARGS];
	char buf[STORE_PG_MAXARGS][STORE_PG_ARGLEN];
	struct store_pg_row row = {{&store_pg_ops}, NULL, 0};
	ExecStatusType status;
	PGresult *res;
	long rows = 0;
	int i;

	if (store_pg_sql[which][0] == '\0')
		return 0;
	if (n > STORE_PG_MAXARGS || n != store_pg_nparams(which)) {
		log_msg("database error: statement %d given %d parameters, not %d", (int)which, n,
			store_pg_nparams(which));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (store_pg_arg(&a[i], buf[i], &v[i]) < 0)
			return -1;
	res = pq.exec_params(conn, store_pg_sql[which], n, NULL, v, NULL, NULL, 0);
	status = res != NULL ? pq.result_status(res) : PGRES_FATAL_ERROR;
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		store_pg_log_result("database error", res, conn);
		pq.clear(res);
		return -1;
	}
	if (fn == NULL)
		rows = atol(pq.cmd_tuples(res));
	else
		for (row.res = res; row.r < pq.ntuples(res); row.r++) {
			rows++;
			if (fn(&row.base, arg))
				break;
		}
	pq.clear(res);
	return rows;
}

static const struct store_pg_row *
store_pg_row_of(const struct store_row *row)
{
	return (const struct store_pg_row *)row;
}

static const char *
store_pg_text(const struct store_row *row, int col)
{
	const struct store_pg_row *p = store_pg_row_of(row);

	return pq.getisnull(p->res, p->r, col) ? "" : pq.getvalue(p->res, p->r, col);
}

static long long
store_pg_integer(const struct store_row *row, int col)
{
	return strtoll(store_pg_text(row, col), NULL, 10); /* NULL: "", 0 */
}

/* A hash comes as hex (encode()). */
static int
store_pg_blob(const struct store_row *row, int col, unsigned char *out, size_t len)
{
	const char *h = store_pg_text(row, col);
	size_t i;

	if (strlen(h) != 2 * len || strspn(h, "0123456789abcdefABCDEF") != 2 * len)
		return 0;
	for (i = 0; i < len; i++) {
		const char pair[3] = {h[2 * i], h[2 * i + 1], '\0'};

		out[i] = (unsigned char)strtoul(pair, NULL, 16);
	}
	return 1;
}

static void store_pg_rollback(struct store *st);

/* Run sql, without parameters, for nothing.  Returns 0 or -1 (logged). */
static int
store_pg_command(struct store *st, const char *sql)
{
	PGresult *res = store_pg_simple(store_pg_of(st)->conn, sql, NULL, NULL);
	int rc = res != NULL ? 0 : -1;

	pq.clear(res);
	return rc;
}

static int
store_pg_begin(struct store *st)
{
	/* A transaction some path left open would hold the write lock, and
	 * PostgreSQL only warns at a BEGIN inside it: end it. */
	if (pq.transaction_status(store_pg_of(st)->conn) != PQTRANS_IDLE) {
		log_msg("database: a transaction was left open; rolled back");
		store_pg_rollback(st);
	}
	return store_pg_command(st, "BEGIN; SELECT pg_advisory_xact_lock(" STORE_PG_LOCK_WRITE ")");
}

static int
store_pg_commit(struct store *st)
{
	return store_pg_command(st, "COMMIT");
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
	PGresult *res = store_pg_simple(
	    store_pg_of(st)->conn, "SELECT floor(extract(epoch FROM clock_timestamp()))::bigint",
	    NULL, NULL);
	time_t t = (time_t)-1;

	if (res == NULL)
		return t;
	if (pq.ntuples(res) == 1 && !pq.getisnull(res, 0, 0))
		t = (time_t)strtoll(pq.getvalue(res, 0, 0), NULL, 10);
	else
		log_msg("database error: the clock returned no row");
	pq.clear(res);
	return t;
}

const struct store_ops store_pg_ops = {
    .open = store_pg_open,
    .close = store_pg_close,
    .begin = store_pg_begin,
    .commit = store_pg_commit,
    .rollback = store_pg_rollback,
    .run = store_pg_run,
    .integer = store_pg_integer,
    .text = store_pg_text,
    .blob = store_pg_blob,
    .stale = store_pg_stale,
    .now = store_pg_now,
};
