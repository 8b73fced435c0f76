/*
 * The SQLite engine of the store (lib/store_engine.h).  Each CGI process
 * opens the file, runs one or two short transactions and exits, so: WAL
 * (readers never wait for the writer), a busy timeout (writers queue
 * instead of failing with "database is locked"), BEGIN IMMEDIATE (no
 * deadlock between two readers that both want to write), defensive mode
 * and untrusted schema.  The statements are sql/statements.sql (compiled
 * into lib/store_schema.h as store_sqlite_sql[]), each prepared on first use
 * and kept: nothing is built from strings.  The operations that run them
 * are the front's (lib/store_ops.c); this file runs one, binds its
 * arguments and hands its rows out.
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
#include "store_schema.h"
#include "store_engine.h"

/*
 * The steps from sql/: store_sqlite_steps[n] takes a file of version
 * n - 1 to version n and sets user_version to n.  Version 1 is the first
 * schema, and 0 a file without one.  sql/schema.sql is the whole of the
 * latest version, for new files.
 */
static const char *const store_sqlite_steps[] = {
    [2] = store_migrate_2, [3] = store_migrate_3, [4] = store_migrate_4,
    [5] = store_migrate_5, [6] = store_migrate_6, [7] = store_migrate_7,
    [8] = store_migrate_8, [9] = store_migrate_9, [10] = store_migrate_10,
};

#define STORE_VERSION ((int)(sizeof(store_sqlite_steps) / sizeof(store_sqlite_steps[0])) - 1)

/* An existing file only: a missing one is made by store_sqlite_create(). */
#define STORE_OPEN_FLAGS (SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW)

/* The transactions' statements, prepared on first use as the others. */
enum {
	TX_BEGIN,
	TX_COMMIT,
	TX_ROLLBACK
};
static const char *const store_sqlite_tx[] = {"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"};

/* A row: the statement standing on it. */
struct store_sqlite_row {
	struct store_row base;
	sqlite3_stmt *s;
};

/* The handle: the front's part first, so that a struct store * is one. */
struct store_sqlite {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT__MAX];
	sqlite3_stmt *tx[3]; /* store_sqlite_tx[]'s */
	char *path;          /* as opened, for store_sqlite_stale() */
	dev_t dev;           /* the file opened */
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
	for (i = 0; i < sizeof(sq->tx) / sizeof(sq->tx[0]); i++)
		sqlite3_finalize(sq->tx[i]);
	sqlite3_close(sq->db);
	free(sq->path);
	free(sq);
}

/* ---- statements -------------------------------------------------------- */

/* Statement sql, prepared into *slot on first use.  NULL after logging
 * if it cannot be prepared. */
static sqlite3_stmt *
store_sqlite_prepare(sqlite3 *db, sqlite3_stmt **slot, const char *sql)
{
	if (*slot == NULL && sqlite3_prepare_v2(db, sql, -1, slot, NULL) != SQLITE_OK) {
		store_sqlite_log(db, "cannot prepare statement");
		*slot = NULL;
	}
	return *slot;
}

/* Bind a[0..n-1] to s; text and blobs stay the caller's until the reset. */
static void
store_sqlite_bind(sqlite3_stmt *s, const struct store_arg *a, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		switch (a[i].type) {
		case STORE_T_INT:
			sqlite3_bind_int64(s, i + 1, (sqlite3_int64)a[i].i);
			break;
		case STORE_T_TEXT:
			sqlite3_bind_text(s, i + 1, a[i].p, -1, SQLITE_STATIC);
			break;
		case STORE_T_BLOB: /* never NULL: an empty blob is one */
			sqlite3_bind_blob(s, i + 1, a[i].p != NULL ? a[i].p : "", (int)a[i].len,
					  SQLITE_STATIC);
			break;
		default:
			sqlite3_bind_null(s, i + 1);
		}
	}
}

static long
store_sqlite_run(struct store *st, enum store_stmt which, const struct store_arg *a, int n,
		 store_row_fn *fn, void *arg)
{
	struct store_sqlite *sq = store_sqlite_of(st);
	struct store_sqlite_row row = {{&store_sqlite_ops}, NULL};
	long rows = 0;
	int rc;

	if (store_sqlite_sql[which][0] == '\0')
		return 0;
	if ((row.s = store_sqlite_prepare(sq->db, &sq->stmt[which], store_sqlite_sql[which])) ==
	    NULL)
		return -1;
	if (sqlite3_bind_parameter_count(row.s) != n) {
		log_msg("database error: statement %d given %d parameters, not %d", (int)which, n,
			sqlite3_bind_parameter_count(row.s));
		return -1;
	}
	store_sqlite_bind(row.s, a, n);
	while ((rc = sqlite3_step(row.s)) == SQLITE_ROW) {
		rows++;
		if (fn == NULL || fn(&row.base, arg)) {
			rc = SQLITE_DONE; /* no more wanted */
			break;
		}
	}
	if (rc != SQLITE_DONE)
		store_sqlite_log(sq->db, "database error");
	/* Reset: a statement left standing would keep its read transaction. */
	sqlite3_reset(row.s);
	if (rc != SQLITE_DONE)
		return -1;
	return fn != NULL ? rows : (long)sqlite3_changes(sq->db);
}

static const struct store_sqlite_row *
store_sqlite_row_of(const struct store_row *row)
{
	return (const struct store_sqlite_row *)row;
}

static long long
store_sqlite_integer(const struct store_row *row, int col)
{
	return (long long)sqlite3_column_int64(store_sqlite_row_of(row)->s, col);
}

static const char *
store_sqlite_text(const struct store_row *row, int col)
{
	const unsigned char *t = sqlite3_column_text(store_sqlite_row_of(row)->s, col);

	return t != NULL ? (const char *)t : "";
}

static int
store_sqlite_blob(const struct store_row *row, int col, unsigned char *out, size_t len)
{
	sqlite3_stmt *s = store_sqlite_row_of(row)->s;
	const void *b = sqlite3_column_blob(s, col);

	if (b == NULL || (size_t)sqlite3_column_bytes(s, col) != len)
		return 0;
	memcpy(out, b, len);
	return 1;
}

/* Run the transaction statement t.  Returns 0 or -1 (logged). */
static int
store_sqlite_tx_run(struct store *st, int t)
{
	struct store_sqlite *sq = store_sqlite_of(st);
	sqlite3_stmt *s = store_sqlite_prepare(sq->db, &sq->tx[t], store_sqlite_tx[t]);
	int rc;

	if (s == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) != SQLITE_DONE)
		store_sqlite_log(sq->db, "database error");
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
store_sqlite_begin(struct store *st)
{
	return store_sqlite_tx_run(st, TX_BEGIN);
}

static int
store_sqlite_commit(struct store *st)
{
	return store_sqlite_tx_run(st, TX_COMMIT);
}

static void
store_sqlite_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(store_sqlite_of(st)->db) == 0)
		store_sqlite_tx_run(st, TX_ROLLBACK);
}

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

const struct store_ops store_sqlite_ops = {
    .open = store_sqlite_open,
    .close = store_sqlite_close,
    .begin = store_sqlite_begin,
    .commit = store_sqlite_commit,
    .rollback = store_sqlite_rollback,
    .run = store_sqlite_run,
    .integer = store_sqlite_integer,
    .text = store_sqlite_text,
    .blob = store_sqlite_blob,
    .stale = store_sqlite_stale,
    .idle = store_sqlite_idle,
};
