/*
 * The private side of store.h: what the store's front asks of a database
 * engine.  The front (lib/store.c, lib/store_ops.c) writes every operation
 * of store.h once, as statements run by name with typed arguments and
 * rows read by column, as sqlbox runs statements by index; an engine
 * (lib/store_sqlite.c, lib/store_pg.c) holds its SQL for each statement
 * (sql/statements.sql, sql/pg-statements.sql, compiled into lib/store_schema.h),
 * opens, makes and upgrades its database, runs transactions and
 * statements, and tells the time.  An engine's handle starts with struct
 * store: one allocation per process, one indirect call per statement.
 */
#ifndef OTP_STORE_ENGINE_H
#define OTP_STORE_ENGINE_H

#include "store.h"

/*
 * The statements, with the arguments each takes, in order (each engine's
 * SQL names them ?1 or $1, ...).  What each does is said in
 * sql/statements.sql.  A new statement is added here, to both SQL files,
 * and to the operation that runs it.
 */
enum store_stmt {
	/* verifications */
	STMT_GET,            /* id: a verification's columns */
	STMT_INBOUND_LIVE,   /* phone, now, max: a verification's columns */
	STMT_PUT,            /* a verification's 18 columns */
	STMT_SET_MESSAGE_ID, /* id, message id */
	STMT_FAIL,           /* id, mac, now */
	STMT_FAIL_PREV,      /* id, mac */
	STMT_PHONE_ATTEMPTS, /* phone, now, net: attempts, expires */
	STMT_MARK_ASSERTION, /* vid, now */
	/* messages and webhooks */
	STMT_ADD_MESSAGE, /* message id, vid, phone, now */
	STMT_RECEIPT,     /* struct store_receipt's, now */
	STMT_EVENT_NEW,   /* event id, now */
	/* calls (issue 25) */
	STMT_CALL_ADD,    /* state, vid, phone, now */
	STMT_CALL_SET_ID, /* state, call_control_id, now */
	STMT_CALL_FIND,   /* state: a call's columns */
	STMT_CALL_STAGE,  /* state, status, stage, cause, now */
	STMT_CALL_LATEST, /* vid: its latest call's columns */
	/* the limits' counts (since, key, net): n, oldest */
	STMT_COUNT_TEXTS,
	STMT_COUNT_NET_TEXTS,
	STMT_COUNT_NET_SMS,
	STMT_COUNT_CALLS,
	STMT_COUNT_NET_CALLS,
	STMT_COUNT_NET_CALL_TRIES,
	STMT_COUNT_INBOUND,
	STMT_COUNT_NET_INBOUND,
	STMT_COUNT_CLIENT,
	STMT_COUNT_CLIENT_INBOUND,
	STMT_COUNT_NET_UNVERIFIED, /* since, net */
	STMT_COUNT_COUNTRY,
	STMT_COUNT_ALL, /* since */
	STMT_COUNT_FAILURES,
	STMT_COUNT_NET_FAILURES,
	/* what the limits count */
	STMT_ADD_SEND,     /* now, phone, client, country, channel, prefix, cc, net */
	STMT_ADD_FAILURE,  /* now, phone, net */
	STMT_UNSEND,       /* at, phone, client, channel */
	STMT_UNSEND_DROP,  /* at, phone, client, channel; "" where STMT_UNSEND did it all */
	STMT_ADD_VERIFIED, /* now, phone, prefix, cc, channel */
	STMT_ADD_REFUSAL,  /* now, kind, prefix */
	STMT_CONVERSION,   /* prefix, since, mature: 5 integers */
	STMT_LIFTED,       /* prefix: 1 integer */
	STMT_SPEND,        /* since, currency: 3 integers */
	/* blocks */
	STMT_BLOCK_FIND, /* phone, now: a block */
	STMT_BLOCK_SET,  /* prefix, until, reason, created */
	STMT_BLOCK_END,  /* prefix, now, how long to remember the lift */
	STMT_BLOCKS,     /* now, max: blocks */
	STMT_BLOCK_NETS, /* prefix, since, mature, at, max: networks */
	/* purges (before, batch) */
	STMT_PURGE_VERIFICATIONS,
	STMT_PURGE_SENDS,
	STMT_PURGE_FAILURES,
	STMT_PURGE_ASSERTIONS,
	STMT_PURGE_MESSAGES,
	STMT_PURGE_CALLS,
	STMT_PURGE_EVENTS,
	STMT_PURGE_VERIFIED,
	STMT_PURGE_REFUSALS,
	STMT_PURGE_BLOCKS,
	/* otp-admin's */
	STMT_UNLOCK_VERIFICATIONS,     /* phone */
	STMT_UNLOCK_NET_VERIFICATIONS, /* phone, net */
	STMT_UNLOCK_NET_FAILURES,      /* phone, net */
	STMT_LOCKS_NET_FAILURES,       /* now, window, limit, max: locks */
	STMT_LOCKS_FAILURES,
	STMT_LOCKS_CODES, /* now, limit, max */
	STMT_LOCKS_NET_TEXTS,
	STMT_LOCKS_TEXTS,
	STMT_LOCK_NETS_FAILURES, /* phone, since, max: networks */
	STMT_LOCK_NETS_TEXTS,
	STMT_FORGET_ASSERTIONS, /* phone, each */
	STMT_FORGET_MESSAGES,
	STMT_FORGET_CALLS,
	STMT_FORGET_VERIFICATIONS,
	STMT_FORGET_SENDS,
	STMT_FORGET_FAILURES,
	STMT_FORGET_VERIFIED,
	STMT_FORGET_BLOCKS,
	STMT_TOTALS,         /* since, currency: 7 integers */
	STMT_GROUPS_PREFIX,  /* since, currency, max: groups */
	STMT_GROUPS_COUNTRY, /* (the same) */
	STMT_GROUPS_HOUR,
	STMT_GROUPS_DAY,
	STMT_REFUSAL_KINDS, /* since, max: kind, count */
	STMT_CHANNELS,      /* since: 6 integers */
	STMT_CALL_ENDS,     /* since, CALL_ANSWERED, CALL_SPOKEN: 6 integers */
	STMT__MAX
};

/* An argument of a statement.  A text or blob is the caller's, for the
 * time of the call. */
enum store_type {
	STORE_T_NULL,
	STORE_T_INT,
	STORE_T_TEXT,
	STORE_T_BLOB
};

struct store_arg {
	enum store_type type;
	long long i;   /* STORE_T_INT */
	const void *p; /* STORE_T_TEXT: a string (NULL: SQL's NULL); STORE_T_BLOB: len bytes */
	size_t len;    /* STORE_T_BLOB */
};

#define ARG_INT(x)                                                                                 \
	{                                                                                          \
		.type = STORE_T_INT, .i = (long long)(x)                                           \
	}
#define ARG_TEXT(s)                                                                                \
	{                                                                                          \
		.type = STORE_T_TEXT, .p = (s)                                                     \
	}
#define ARG_BLOB(b, n)                                                                             \
	{                                                                                          \
		.type = STORE_T_BLOB, .p = (b), .len = (n)                                         \
	}
#define ARG_NULL                                                                                   \
	{                                                                                          \
		.type = STORE_T_NULL                                                               \
	}

/* A row of a result, as the engine that ran the statement hands it out:
 * an engine's row starts with this, and is read through its ops. */
struct store_row {
	const struct store_ops *ops;
};

/* What the front does with each row: 0 for the next, 1 to stop (no more
 * wanted). */
typedef int store_row_fn(const struct store_row *row, void *arg);

/* An engine. */
struct store_ops {
	/* A new handle for where (a path, or a URL), ready to use (created
	 * and migrated as need be), or NULL after logging why. */
	struct store *(*open)(const char *where);
	void (*close)(struct store *st); /* never NULL */
	/* A write transaction (SQLite's BEGIN IMMEDIATE), its end, and its
	 * undoing when one is open: store_begin() and the others. */
	int (*begin)(struct store *st);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	/*
	 * Run statement which with its n arguments (as many as it takes,
	 * else it fails).  With fn, each row it returns goes to fn(row, arg)
	 * until fn says stop: returns the rows handed to fn.  Without, it
	 * returns no rows: returns the rows it changed.  -1 after logging.
	 * A statement whose SQL is "" runs nothing (0).
	 */
	long (*run)(struct store *st, enum store_stmt which, const struct store_arg *args, int n,
		    store_row_fn *fn, void *arg);
	/* Column col of row: an integer (NULL: 0); a text ("" for NULL),
	 * good until the next row; a blob of exactly len bytes into out (1),
	 * or 0 (out unchanged) for any other. */
	long long (*integer)(const struct store_row *row, int col);
	const char *(*text)(const struct store_row *row, int col);
	int (*blob)(const struct store_row *row, int col, unsigned char *out, size_t len);
	/* store_stale() */
	int (*stale)(struct store *st);
	/* The database's clock, or (time_t)-1 after logging; NULL: the
	 * machine's is the database's (one file on one machine). */
	time_t (*now)(struct store *st);
	void (*idle)(struct store *st); /* store_idle(); may be NULL: nothing to do */
};

/* The front's part of every handle: an engine's handle starts with it. */
struct store {
	const struct store_ops *ops;
};

/* The engines. */
extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* store_url_check() of a PostgreSQL URL (lib/store_pg.c). */
int store_pg_check_url(const char *url, char *why, size_t size);

/* ---- the front's, for lib/store_ops.c (lib/store.c) --------------------- */

#define STORE_NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Run which, which returns no rows: the rows it changed, or -1; or
 * which for its rows, each to fn(row, arg): how many, or -1. */
long store_exec(struct store *st, enum store_stmt which, const struct store_arg *args, int n);
long store_rows(struct store *st, enum store_stmt which, const struct store_arg *args, int n,
		store_row_fn *fn, void *arg);

/* Run which for its one row, the first k columns integers into out.
 * Returns 0, or -1 after logging. */
int store_ints(struct store *st, enum store_stmt which, const struct store_arg *args, int n,
	       long long *out, int k);

/* Column col of row as an integer, a text (good until the next row), a
 * text into buf (size bytes, cut short), or a blob of exactly len bytes
 * into out (1, else 0). */
long long store_col_int(const struct store_row *row, int col);
const char *store_col_str(const struct store_row *row, int col);
void store_col_text(const struct store_row *row, int col, char *buf, size_t size);
int store_col_blob(const struct store_row *row, int col, unsigned char *out, size_t len);

/* How a status is written in the database ("pending", ...), and back:
 * an unknown name reads as STATUS_FAILED, dead rather than pending. */
const char *store_status_name(enum store_status status);
enum store_status store_status_parse(const char *name);

#endif
