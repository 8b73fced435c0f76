/*
 * The store's front: what the programs call, whatever the database.  It
 * picks the engine for a DB_PATH, keeps what is engine-neutral (the
 * status names, the transactions and the clock handed on), and runs
 * statements for the operations (lib/store_ops.c): typed arguments in,
 * rows read column by column (lib/store_engine.h).  No SQL and no engine
 * type is seen past here.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_engine.h"

static const char *const store_status_names[] = {
    [STATUS_PENDING] = "pending",
    [STATUS_USED] = "used",
    [STATUS_LOCKED] = "locked",
    [STATUS_FAILED] = "failed",
};

#define STORE_NSTATUS (sizeof(store_status_names) / sizeof(store_status_names[0]))

const char *
store_status_name(enum store_status status)
{
	assert((size_t)status < STORE_NSTATUS);
	return store_status_names[status];
}

enum store_status
store_status_parse(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < STORE_NSTATUS; i++)
		if (!strcmp(name, store_status_names[i]))
			return (enum store_status)i;
	return STATUS_FAILED;
}

/* The engine for where: a PostgreSQL URL (DATABASE_URL), else a path of
 * SQLite's. */
static const struct store_ops *
store_engine(const char *where)
{
	if (!strncmp(where, "postgresql://", 13) || !strncmp(where, "postgres://", 11))
		return &store_pg_ops;
	return &store_sqlite_ops;
}

struct store *
store_open(const char *path)
{
	const struct store_ops *ops = store_engine(path);
	struct store *st = ops->open(path);

	assert(st == NULL || st->ops == ops);
	return st;
}

int
store_url_check(const char *url, char *why, size_t size)
{
	if (store_engine(url) != &store_pg_ops)
		return 0;
	return store_pg_check_url(url, why, size);
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

int
store_stale(struct store *st)
{
	return st->ops->stale(st);
}

time_t
store_now(struct store *st, time_t local)
{
	return st->ops->now != NULL ? st->ops->now(st) : local;
}

void
store_idle(struct store *st)
{
	if (st->ops->idle != NULL)
		st->ops->idle(st);
}

int
store_begin(struct store *st)
{
	return st->ops->begin(st);
}

int
store_commit(struct store *st)
{
	return st->ops->commit(st);
}

void
store_rollback(struct store *st)
{
	st->ops->rollback(st);
}

/* ---- statements --------------------------------------------------------- */

long
store_exec(struct store *st, enum store_stmt which, const struct store_arg *args, int n)
{
	return st->ops->run(st, which, args, n, NULL, NULL);
}

long
store_rows(struct store *st, enum store_stmt which, const struct store_arg *args, int n,
	   store_row_fn *fn, void *arg)
{
	return st->ops->run(st, which, args, n, fn, arg);
}

struct store_ints_row {
	long long *out;
	int k;
};

static int
store_ints_row(const struct store_row *row, void *arg)
{
	const struct store_ints_row *r = arg;
	int i;

	for (i = 0; i < r->k; i++)
		r->out[i] = store_col_int(row, i);
	return 1;
}

int
store_ints(struct store *st, enum store_stmt which, const struct store_arg *args, int n,
	   long long *out, int k)
{
	struct store_ints_row r = {out, k};
	long rows = st->ops->run(st, which, args, n, store_ints_row, &r);

	if (rows < 0)
		return -1;
	if (rows != 1) {
		log_msg("database error: statement %d returned no row", (int)which);
		return -1;
	}
	return 0;
}

long long
store_col_int(const struct store_row *row, int col)
{
	return row->ops->integer(row, col);
}

const char *
store_col_str(const struct store_row *row, int col)
{
	return row->ops->text(row, col);
}

void
store_col_text(const struct store_row *row, int col, char *buf, size_t size)
{
	snprintf(buf, size, "%s", row->ops->text(row, col));
}

int
store_col_blob(const struct store_row *row, int col, unsigned char *out, size_t len)
{
	return row->ops->blob(row, col, out, len);
}
