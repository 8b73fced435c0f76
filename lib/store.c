/*
 * The store's front: what the programs call, whatever the database.  It
 * picks the engine for a DB_PATH, keeps what is engine-neutral (the
 * retention ages of bounds.h, the status names, the zeroing of results),
 * and hands each call to the engine's table of operations
 * (lib/store_engine.h).  No SQL and no engine type is seen past here.
 */
#include <assert.h>
#include <stddef.h>
#include <string.h>

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

int
store_purge(struct store *st, time_t now, long retention)
{
	const long keep = retention > OTP_PURGE_SENDS ? retention : OTP_PURGE_SENDS;
	const struct store_cutoffs before = {
	    .verification = now - OTP_PURGE_AFTER,
	    .send = now - keep,
	    .failure = now - OTP_PURGE_FAILURES,
	    .assertion = now - OTP_PURGE_ASSERTIONS,
	    .message = now - (retention > OTP_PURGE_MESSAGES ? retention : OTP_PURGE_MESSAGES),
	    .event = now - OTP_PURGE_EVENTS,
	    .verified = now - keep,
	    .block = now,
	};

	return st->ops->purge(st, &before);
}

int
store_get(struct store *st, const char *id, struct verification *v)
{
	memset(v, 0, sizeof(*v));
	return st->ops->get(st, id, v);
}

int
store_put(struct store *st, const struct verification *v)
{
	assert((size_t)v->status < STORE_NSTATUS);
	return st->ops->put(st, v);
}

int
store_set_message_id(struct store *st, const char *id, const char *message_id, const char *phone,
		     time_t now)
{
	return st->ops->set_message_id(st, id, message_id, phone, now);
}

int
store_receipt(struct store *st, const struct store_receipt *r, time_t now)
{
	assert(r->stage >= 1 && r->stage <= 4);
	return st->ops->receipt(st, r, now);
}

int
store_event_new(struct store *st, const char *event_id, time_t now)
{
	return st->ops->event_new(st, event_id, now);
}

int
store_fail(struct store *st, const char *id, const unsigned char mac[OTP_MAC_LEN], time_t now)
{
	return st->ops->fail(st, id, mac, now);
}

int
store_count(struct store *st, enum store_scope scope, const char *key, const char *net,
	    time_t since, struct store_count *out)
{
	assert(scope >= SCOPE_TEXTS && scope <= SCOPE_NET_FAILURES);
	memset(out, 0, sizeof(*out));
	return st->ops->count(st, scope, scope == SCOPE_ALL ? NULL : key, net != NULL ? net : "",
			      since, out);
}

int
store_phone_attempts(struct store *st, const char *phone, const char *net, time_t now, int *n,
		     time_t *expires)
{
	*n = 0;
	*expires = 0;
	return st->ops->phone_attempts(st, phone, net != NULL ? net : "", now, n, expires);
}

int
store_add_send(struct store *st, time_t now, const struct store_send *s)
{
	return st->ops->add_send(st, now, s);
}

int
store_add_verified(struct store *st, time_t now, const struct verification *v)
{
	return st->ops->add_verified(st, now, v);
}

int
store_add_refusal(struct store *st, time_t now, const char *kind, const char *phone,
		  const char *prefix)
{
	return st->ops->add_refusal(st, now, kind, phone, prefix != NULL ? prefix : "");
}

int
store_conversion(struct store *st, const char *prefix, time_t since, time_t mature,
		 struct store_conversion *out)
{
	time_t lifted = 0;

	memset(out, 0, sizeof(*out));
	/* An operator lifted a block of the prefix: what came before is judged.
	 * Whole seconds: what came in the second of the lift is not counted. */
	if (st->ops->lifted(st, prefix, &lifted) < 0)
		return -1;
	if (lifted > since)
		since = lifted;
	return st->ops->conversion(st, prefix, since, mature, out);
}

int
store_spend(struct store *st, time_t since, const char *currency, long long estimate,
	    long long *micros)
{
	*micros = 0;
	return st->ops->spend(st, since, currency, estimate, micros);
}

int
store_block_find(struct store *st, const char *phone, time_t now, struct store_block *b)
{
	memset(b, 0, sizeof(*b));
	return st->ops->block_find(st, phone, now, b);
}

int
store_block_set(struct store *st, const struct store_block *b)
{
	return st->ops->block_set(st, b);
}

int
store_block_end(struct store *st, const char *prefix, time_t now)
{
	return st->ops->block_end(st, prefix, now);
}

int
store_blocks(struct store *st, time_t now, struct store_block *out, int max)
{
	assert(max > 0);
	memset(out, 0, sizeof(*out) * (size_t)max);
	return st->ops->blocks(st, now, out, max);
}

int
store_block_nets(struct store *st, const struct store_block *b, long window, long grace,
		 struct store_net *out, int max, long *total)
{
	assert(max > 0);
	memset(out, 0, sizeof(*out) * (size_t)max);
	*total = 0;
	/* The operator's blocks (and lifts) have no evidence behind them. */
	if (strcmp(b->reason, "conversion") != 0)
		return 0;
	return st->ops->block_nets(st, b->prefix, b->created - window, b->created - grace,
				   b->created, out, max, total);
}

int
store_unlock(struct store *st, const char *phone, const char *net, long *verifications,
	     long *failures)
{
	*verifications = *failures = 0;
	return st->ops->unlock(st, phone, net, verifications, failures);
}

int
store_locks(struct store *st, enum store_lock_kind kind, time_t now, long window, long limit,
	    struct store_lock *out, int max)
{
	int n, i;

	assert(max > 0 && kind >= LOCK_NET_FAILURES && kind <= LOCK_TEXTS);
	memset(out, 0, sizeof(*out) * (size_t)max);
	/* A limit of 0 is no limit (as limit_one() reads it): nothing is locked. */
	if (limit <= 0 || (kind != LOCK_CODE && window <= 0))
		return 0;
	if ((n = st->ops->locks(st, kind, now, window, limit, out, max)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		out[i].kind = kind;
	return n;
}

int
store_lock_nets(struct store *st, enum store_lock_kind kind, const char *phone, time_t since,
		struct store_net *out, int max, long *total)
{
	assert(max > 0 && (kind == LOCK_FAILURES || kind == LOCK_TEXTS));
	memset(out, 0, sizeof(*out) * (size_t)max);
	*total = 0;
	return st->ops->lock_nets(st, kind, phone, since, out, max, total);
}

int
store_forget(struct store *st, const char *phone, struct store_forgotten *out)
{
	memset(out, 0, sizeof(*out));
	return st->ops->forget(st, phone, out);
}

int
store_totals(struct store *st, time_t since, const char *currency, struct store_totals *t)
{
	memset(t, 0, sizeof(*t));
	return st->ops->totals(st, since, currency, t);
}

int
store_groups(struct store *st, time_t since, enum store_group by, const char *currency,
	     struct store_group_row *out, int max)
{
	assert(max > 0 && by >= GROUP_PREFIX && by <= GROUP_DAY);
	memset(out, 0, sizeof(*out) * (size_t)max);
	return st->ops->groups(st, since, by, currency, out, max);
}

int
store_refusal_kinds(struct store *st, time_t since, struct store_group_row *out, int max)
{
	assert(max > 0);
	memset(out, 0, sizeof(*out) * (size_t)max);
	return st->ops->refusal_kinds(st, since, out, max);
}

int
store_inbound_live(struct store *st, const char *phone, time_t now, struct verification *out,
		   int max)
{
	assert(max > 0);
	memset(out, 0, sizeof(*out) * (size_t)max);
	return st->ops->inbound_live(st, phone, now, out, max);
}

int
store_add_failure(struct store *st, time_t now, const char *phone, const char *net)
{
	return st->ops->add_failure(st, now, phone, net != NULL ? net : "");
}

int
store_unsend(struct store *st, time_t at, const char *phone, const char *client)
{
	return st->ops->unsend(st, at, phone, client);
}

int
store_mark_assertion(struct store *st, const char *vid, time_t now)
{
	return st->ops->mark_assertion(st, vid, now);
}
