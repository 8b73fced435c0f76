/*
 * The store's operations (store.h), each written once for every engine:
 * the statements it runs (enum store_stmt, lib/store_engine.h) with their
 * arguments in order, and what it reads of their rows, through the front's
 * helpers (lib/store.c).  The checks and the zeroing of results that
 * store.h promises come first.  What an engine says in SQL is in
 * sql/statements.sql and sql/pg-statements.sql.
 */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "store_engine.h"

static const char *const store_ways[] = {
    [WAY_SMS] = "sms",
    [WAY_INBOUND] = "inbound",
    [WAY_VOICE] = "voice",
};

const char *
store_way_word(enum store_way way)
{
	assert(way >= WAY_SMS && way <= WAY_VOICE);
	return store_ways[way];
}

enum store_way
store_way_of(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(store_ways) / sizeof(store_ways[0]); i++)
		if (!strcmp(word, store_ways[i]))
			return (enum store_way)i;
	return WAY_SMS;
}

#define NARGS(a) STORE_NARGS(a)

/* ---- rows ----------------------------------------------------------------- */

/* A list of at most max rows, each read by read() into the next element
 * of out (size bytes each). */
struct store_list {
	void *out;
	size_t size;
	int n, max;
	void (*read)(const struct store_row *row, void *to);
};

static int
store_list_row(const struct store_row *row, void *arg)
{
	struct store_list *l = arg;

	l->read(row, (char *)l->out + l->size * (size_t)l->n);
	return ++l->n >= l->max;
}

/* Run which for its rows into l's out (at most max, zeroed first): how
 * many, or -1. */
static int
store_list(struct store *st, enum store_stmt which, const struct store_arg *a, int n,
	   struct store_list *l)
{
	assert(l->max > 0);
	memset(l->out, 0, l->size * (size_t)l->max);
	return store_rows(st, which, a, n, store_list_row, l) < 0 ? -1 : l->n;
}

/* A verification's columns (STMT_GET's) into v, zeroed. */
static void
store_verification_row(const struct store_row *r, void *to)
{
	struct verification *v = to;

	store_col_text(r, 14, v->id, sizeof(v->id));
	store_col_text(r, 0, v->phone, sizeof(v->phone));
	store_col_blob(r, 1, v->mac, OTP_MAC_LEN);
	v->created = (time_t)store_col_int(r, 2);
	v->expires = (time_t)store_col_int(r, 3);
	v->attempts = (int)store_col_int(r, 4);
	v->status = store_status_parse(store_col_str(r, 5));
	store_col_text(r, 6, v->message_id, sizeof(v->message_id));
	store_col_text(r, 7, v->return_to, sizeof(v->return_to));
	/* A previous code only with a whole hash. */
	if (store_col_blob(r, 8, v->prev_mac, OTP_MAC_LEN))
		v->prev_expires = (time_t)store_col_int(r, 9);
	store_col_text(r, 10, v->shown, sizeof(v->shown));
	store_col_text(r, 11, v->delivery, sizeof(v->delivery));
	v->way = store_way_of(store_col_str(r, 12));
	v->approved_at = (time_t)store_col_int(r, 13);
	store_col_text(r, 15, v->prefix, sizeof(v->prefix));
	store_col_text(r, 16, v->cc, sizeof(v->cc));
	store_col_text(r, 17, v->lang, sizeof(v->lang));
	store_col_text(r, 18, v->net, sizeof(v->net));
	v->ways = (unsigned)store_col_int(r, 19);
}

static void
store_block_row(const struct store_row *r, void *to)
{
	struct store_block *b = to;

	store_col_text(r, 0, b->prefix, sizeof(b->prefix));
	b->until = (time_t)store_col_int(r, 1);
	store_col_text(r, 2, b->reason, sizeof(b->reason));
	b->created = (time_t)store_col_int(r, 3);
}

static void
store_lock_row(const struct store_row *r, void *to)
{
	struct store_lock *l = to;

	store_col_text(r, 0, l->phone, sizeof(l->phone));
	store_col_text(r, 1, l->net, sizeof(l->net));
	l->n = (long)store_col_int(r, 2);
	l->ends = (time_t)store_col_int(r, 3);
}

/* A key and four integers (otp-admin's groups)... */
static void
store_group_row(const struct store_row *r, void *to)
{
	struct store_group_row *g = to;

	store_col_text(r, 0, g->key, sizeof(g->key));
	g->sent = (long)store_col_int(r, 1);
	g->verified = (long)store_col_int(r, 2);
	g->refused = (long)store_col_int(r, 3);
	g->spend = store_col_int(r, 4);
}

/* ... or one (the refusals of a kind, into sent). */
static void
store_kind_row(const struct store_row *r, void *to)
{
	struct store_group_row *g = to;

	store_col_text(r, 0, g->key, sizeof(g->key));
	g->sent = (long)store_col_int(r, 1);
}

/* Networks, each with its count, and how many there are in all. */
struct store_nets {
	struct store_net *out;
	int n, max;
	long *total;
};

static int
store_net_row(const struct store_row *r, void *arg)
{
	struct store_nets *l = arg;

	store_col_text(r, 0, l->out[l->n].net, sizeof(l->out[l->n].net));
	l->out[l->n].n = (long)store_col_int(r, 1);
	*l->total = (long)store_col_int(r, 2);
	return ++l->n >= l->max;
}

static int
store_nets(struct store *st, enum store_stmt which, const struct store_arg *a, int n,
	   struct store_net *out, int max, long *total)
{
	struct store_nets l = {out, 0, max, total};

	assert(max > 0);
	memset(out, 0, sizeof(*out) * (size_t)max);
	*total = 0;
	return store_rows(st, which, a, n, store_net_row, &l) < 0 ? -1 : l.n;
}

/* Insert key at now with which, an INSERT ... DO NOTHING of a key taken
 * once: 1 the first time, 0 if it was taken already, -1 on error. */
static int
store_once(struct store *st, enum store_stmt which, const char *key, time_t now)
{
	const struct store_arg a[] = {ARG_TEXT(key), ARG_INT(now)};
	long n = store_exec(st, which, a, NARGS(a));

	return n < 0 ? -1 : n == 1;
}

/* ---- verifications --------------------------------------------------------- */

int
store_get(struct store *st, const char *id, struct verification *v)
{
	const struct store_arg a[] = {ARG_TEXT(id)};
	struct store_list l = {v, sizeof(*v), 0, 1, store_verification_row};

	return store_list(st, STMT_GET, a, NARGS(a), &l);
}

int
store_inbound_live(struct store *st, const char *phone, time_t now, struct verification *out,
		   int max)
{
	const struct store_arg a[] = {ARG_TEXT(phone), ARG_INT(now), ARG_INT(max)};
	struct store_list l = {out, sizeof(*out), 0, max, store_verification_row};

	return store_list(st, STMT_INBOUND_LIVE, a, NARGS(a), &l);
}

int
store_put(struct store *st, const struct verification *v)
{
	const int prev = v->prev_expires > 0; /* else no code before: an empty hash */
	const struct store_arg a[] = {
	    ARG_TEXT(v->id),
	    ARG_TEXT(v->phone),
	    ARG_BLOB(v->mac, OTP_MAC_LEN),
	    ARG_INT(v->created),
	    ARG_INT(v->expires),
	    ARG_INT(v->attempts),
	    ARG_TEXT(store_status_name(v->status)),
	    ARG_TEXT(v->message_id),
	    ARG_TEXT(v->return_to),
	    ARG_BLOB(v->prev_mac, prev ? OTP_MAC_LEN : 0),
	    ARG_INT(prev ? v->prev_expires : 0),
	    ARG_TEXT(v->shown),
	    ARG_TEXT(store_way_word(v->way)),
	    ARG_INT(v->approved_at),
	    ARG_TEXT(v->prefix),
	    ARG_TEXT(v->cc),
	    ARG_TEXT(v->lang),
	    ARG_TEXT(v->net),
	    ARG_INT(v->ways),
	};

	assert((size_t)v->status <= STATUS_FAILED);
	return store_exec(st, STMT_PUT, a, NARGS(a)) < 0 ? -1 : 0;
}

int
store_set_message_id(struct store *st, const char *id, const char *message_id, const char *phone,
		     time_t now)
{
	const struct store_arg a[] = {ARG_TEXT(id), ARG_TEXT(message_id)};
	const struct store_arg m[] = {ARG_TEXT(message_id), ARG_TEXT(id), ARG_TEXT(phone),
				      ARG_INT(now)};

	if (store_exec(st, STMT_SET_MESSAGE_ID, a, NARGS(a)) < 0)
		return -1;
	if (phone == NULL)
		return 0;
	return store_exec(st, STMT_ADD_MESSAGE, m, NARGS(m)) < 0 ? -1 : 0;
}

int
store_fail(struct store *st, const char *id, const unsigned char mac[OTP_MAC_LEN], time_t now)
{
	const struct store_arg a[] = {ARG_TEXT(id), ARG_BLOB(mac, OTP_MAC_LEN), ARG_INT(now)};

	if (store_exec(st, STMT_FAIL, a, NARGS(a)) < 0)
		return -1;
	/* mac is one of the two, never both: the order does not matter. */
	return store_exec(st, STMT_FAIL_PREV, a, 2) < 0 ? -1 : 0;
}

int
store_phone_attempts(struct store *st, const char *phone, const char *net, time_t now, int *n,
		     time_t *expires)
{
	const struct store_arg a[] = {ARG_TEXT(phone), ARG_INT(now),
				      ARG_TEXT(net != NULL ? net : "")};
	long long r[2];

	*n = 0;
	*expires = 0;
	if (store_ints(st, STMT_PHONE_ATTEMPTS, a, NARGS(a), r, 2) < 0)
		return -1;
	*n = (int)r[0];
	*expires = (time_t)r[1];
	return 0;
}

int
store_mark_assertion(struct store *st, const char *vid, time_t now)
{
	return store_once(st, STMT_MARK_ASSERTION, vid, now);
}

/* ---- messages and webhooks ------------------------------------------------- */

int
store_receipt(struct store *st, const struct store_receipt *r, time_t now)
{
	struct store_arg a[] = {
	    ARG_TEXT(r->message_id),
	    ARG_TEXT(r->phone),
	    ARG_TEXT(r->status),
	    ARG_INT(r->stage),
	    ARG_TEXT(r->error_code),
	    ARG_INT(r->cost_micros),
	    ARG_TEXT(r->currency),
	    ARG_INT(r->parts),
	    ARG_TEXT(r->carrier),
	    ARG_TEXT(r->line_type),
	    ARG_INT(now),
	};

	assert(r->stage >= 1 && r->stage <= 4);
	if (r->cost_micros < 0) /* not reported */
		a[5] = (struct store_arg)ARG_NULL;
	return store_exec(st, STMT_RECEIPT, a, NARGS(a)) < 0 ? -1 : 0;
}

int
store_event_new(struct store *st, const char *event_id, time_t now)
{
	return store_once(st, STMT_EVENT_NEW, event_id, now);
}

/* ---- calls ----------------------------------------------------------------- */

static void
store_call_row(const struct store_row *r, void *to)
{
	struct store_call *c = to;

	store_col_text(r, 0, c->state, sizeof(c->state));
	store_col_text(r, 1, c->vid, sizeof(c->vid));
	store_col_text(r, 2, c->phone, sizeof(c->phone));
	store_col_text(r, 3, c->call_id, sizeof(c->call_id));
	store_col_text(r, 4, c->status, sizeof(c->status));
	c->stage = (int)store_col_int(r, 5);
	store_col_text(r, 6, c->cause, sizeof(c->cause));
	c->created = (time_t)store_col_int(r, 7);
	c->updated = (time_t)store_col_int(r, 8);
}

int
store_call_add(struct store *st, const char *state, const char *vid, const char *phone, time_t now)
{
	const struct store_arg a[] = {ARG_TEXT(state), ARG_TEXT(vid), ARG_TEXT(phone),
				      ARG_INT(now)};

	assert(strlen(state) <= OTP_CALL_STATE_LEN);
	return store_exec(st, STMT_CALL_ADD, a, NARGS(a)) == 1 ? 0 : -1;
}

int
store_call_set_id(struct store *st, const char *state, const char *call_id, time_t now)
{
	const struct store_arg a[] = {ARG_TEXT(state), ARG_TEXT(call_id), ARG_INT(now)};
	long n;

	assert(call_id[0] != '\0' && strlen(call_id) <= OTP_CALL_ID_MAX);
	n = store_exec(st, STMT_CALL_SET_ID, a, NARGS(a));
	return n < 0 ? -1 : n > 0;
}

int
store_call_find(struct store *st, const char *state, struct store_call *c)
{
	const struct store_arg a[] = {ARG_TEXT(state)};
	struct store_list l = {c, sizeof(*c), 0, 1, store_call_row};

	return store_list(st, STMT_CALL_FIND, a, NARGS(a), &l);
}

int
store_call_latest(struct store *st, const char *vid, struct store_call *c)
{
	const struct store_arg a[] = {ARG_TEXT(vid)};
	struct store_list l = {c, sizeof(*c), 0, 1, store_call_row};

	return store_list(st, STMT_CALL_LATEST, a, NARGS(a), &l);
}

int
store_call_stage(struct store *st, const char *state, enum store_call_stage stage,
		 const char *status, const char *cause, time_t now)
{
	const struct store_arg a[] = {ARG_TEXT(state), ARG_TEXT(status), ARG_INT(stage),
				      ARG_TEXT(cause != NULL ? cause : ""), ARG_INT(now)};
	long n;

	assert(stage >= CALL_PLACED && stage <= CALL_ENDED);
	n = store_exec(st, STMT_CALL_STAGE, a, NARGS(a));
	return n < 0 ? -1 : n > 0;
}

/* ---- the limits' counts ---------------------------------------------------- */

int
store_count(struct store *st, enum store_scope scope, const char *key, const char *net,
	    time_t since, struct store_count *out)
{
	/* Each scope's statement, and how many of since, key, net it takes. */
	static const struct {
		enum store_stmt which;
		int nargs;
	} by[] = {
	    [SCOPE_TEXTS] = {STMT_COUNT_TEXTS, 2},
	    [SCOPE_NET_TEXTS] = {STMT_COUNT_NET_TEXTS, 3},
	    [SCOPE_NET_SMS] = {STMT_COUNT_NET_SMS, 3},
	    [SCOPE_CALLS] = {STMT_COUNT_CALLS, 2},
	    [SCOPE_NET_CALLS] = {STMT_COUNT_NET_CALLS, 3},
	    [SCOPE_NET_CALL_TRIES] = {STMT_COUNT_NET_CALL_TRIES, 3},
	    [SCOPE_INBOUND] = {STMT_COUNT_INBOUND, 2},
	    [SCOPE_NET_INBOUND] = {STMT_COUNT_NET_INBOUND, 3},
	    [SCOPE_CLIENT] = {STMT_COUNT_CLIENT, 2},
	    [SCOPE_CLIENT_INBOUND] = {STMT_COUNT_CLIENT_INBOUND, 2},
	    [SCOPE_NET_UNVERIFIED] = {STMT_COUNT_NET_UNVERIFIED, 2},
	    [SCOPE_COUNTRY] = {STMT_COUNT_COUNTRY, 2},
	    [SCOPE_ALL] = {STMT_COUNT_ALL, 1},
	    [SCOPE_FAILURES] = {STMT_COUNT_FAILURES, 2},
	    [SCOPE_NET_FAILURES] = {STMT_COUNT_NET_FAILURES, 3},
	};
	const struct store_arg a[] = {ARG_INT(since), ARG_TEXT(key),
				      ARG_TEXT(net != NULL ? net : "")};
	long long n[2];

	assert(scope >= SCOPE_TEXTS && scope <= SCOPE_NET_FAILURES);
	memset(out, 0, sizeof(*out));
	if (store_ints(st, by[scope].which, a, by[scope].nargs, n, 2) < 0)
		return -1;
	out->n = (long)n[0];
	out->oldest = (time_t)n[1];
	return 0;
}

/* ---- what the limits count ------------------------------------------------- */

int
store_add_send(struct store *st, time_t now, const struct store_send *s)
{
	const struct store_arg a[] = {
	    ARG_INT(now),
	    ARG_TEXT(s->phone),
	    ARG_TEXT(s->client),
	    ARG_TEXT(s->country),
	    ARG_TEXT(store_way_word(s->way)),
	    ARG_TEXT(s->prefix != NULL ? s->prefix : ""),
	    ARG_TEXT(s->cc != NULL ? s->cc : ""),
	    ARG_TEXT(s->net != NULL ? s->net : ""),
	};

	return store_exec(st, STMT_ADD_SEND, a, NARGS(a)) < 0 ? -1 : 0;
}

int
store_add_failure(struct store *st, time_t now, const char *phone, const char *net)
{
	const struct store_arg a[] = {ARG_INT(now), ARG_TEXT(phone),
				      ARG_TEXT(net != NULL ? net : "")};

	return store_exec(st, STMT_ADD_FAILURE, a, NARGS(a)) < 0 ? -1 : 0;
}

int
store_add_verified(struct store *st, time_t now, const struct verification *v)
{
	const struct store_arg a[] = {ARG_INT(now), ARG_TEXT(v->phone), ARG_TEXT(v->prefix),
				      ARG_TEXT(v->cc), ARG_TEXT(store_way_word(v->way))};

	return store_exec(st, STMT_ADD_VERIFIED, a, NARGS(a)) < 0 ? -1 : 0;
}

int
store_unsend(struct store *st, time_t at, const char *phone, const char *client, enum store_way way)
{
	const struct store_arg a[] = {ARG_INT(at), ARG_TEXT(phone), ARG_TEXT(client),
				      ARG_TEXT(store_way_word(way))};

	if (store_exec(st, STMT_UNSEND, a, NARGS(a)) < 0 ||
	    store_exec(st, STMT_UNSEND_DROP, a, NARGS(a)) < 0)
		return -1;
	return 0;
}

int
store_add_refusal(struct store *st, time_t now, const char *kind, const char *phone,
		  const char *prefix)
{
	const struct store_arg a[] = {ARG_INT(now), ARG_TEXT(kind),
				      ARG_TEXT(prefix != NULL ? prefix : "")};

	(void)phone; /* counted per prefix: the number is not kept */
	return store_exec(st, STMT_ADD_REFUSAL, a, NARGS(a)) < 0 ? -1 : 0;
}

int
store_conversion(struct store *st, const char *prefix, time_t since, time_t mature,
		 struct store_conversion *out)
{
	/* STMT_LIFTED takes the first: the prefix. */
	struct store_arg a[] = {ARG_TEXT(prefix), ARG_INT(since), ARG_INT(mature)};
	long long lifted, n[5];

	memset(out, 0, sizeof(*out));
	/* An operator lifted a block of the prefix: what came before is judged.
	 * Whole seconds: what came in the second of the lift is not counted. */
	if (store_ints(st, STMT_LIFTED, a, 1, &lifted, 1) < 0)
		return -1;
	if ((time_t)lifted > since)
		a[1].i = lifted;
	if (store_ints(st, STMT_CONVERSION, a, NARGS(a), n, 5) < 0)
		return -1;
	out->sends = (long)n[0];
	out->verified = (long)n[1];
	out->nets = (long)n[2];
	out->fresh = (long)n[3];
	out->fresh_nets = (long)n[4];
	return 0;
}

int
store_spend(struct store *st, time_t since, const char *currency, long long estimate,
	    long long call, long long *micros)
{
	const struct store_arg a[] = {ARG_INT(since), ARG_TEXT(currency)};
	long long n[4];

	*micros = 0;
	if (store_ints(st, STMT_SPEND, a, NARGS(a), n, 4) < 0)
		return -1;
	/* Reported costs, the estimate for every text sent with none, and
	 * every call's. */
	*micros = n[2] + (n[0] > n[1] ? (n[0] - n[1]) * estimate : 0) + n[3] * call;
	return 0;
}

/* ---- blocks ---------------------------------------------------------------- */

int
store_block_find(struct store *st, const char *phone, time_t now, struct store_block *b)
{
	const struct store_arg a[] = {ARG_TEXT(phone), ARG_INT(now)};
	struct store_list l = {b, sizeof(*b), 0, 1, store_block_row};

	return store_list(st, STMT_BLOCK_FIND, a, NARGS(a), &l);
}

int
store_block_set(struct store *st, const struct store_block *b)
{
	const struct store_arg a[] = {ARG_TEXT(b->prefix), ARG_INT(b->until), ARG_TEXT(b->reason),
				      ARG_INT(b->created)};

	return store_exec(st, STMT_BLOCK_SET, a, NARGS(a)) < 0 ? -1 : 0;
}

int
store_block_end(struct store *st, const char *prefix, time_t now)
{
	/* Remembered for the longest CONVERSION_WINDOW. */
	const struct store_arg a[] = {ARG_TEXT(prefix), ARG_INT(now), ARG_INT(OTP_DAY)};
	long n = store_exec(st, STMT_BLOCK_END, a, NARGS(a));

	return n < 0 ? -1 : n > 0;
}

int
store_blocks(struct store *st, time_t now, struct store_block *out, int max)
{
	const struct store_arg a[] = {ARG_INT(now), ARG_INT(max)};
	struct store_list l = {out, sizeof(*out), 0, max, store_block_row};

	return store_list(st, STMT_BLOCKS, a, NARGS(a), &l);
}

int
store_block_nets(struct store *st, const struct store_block *b, long window, long grace,
		 struct store_net *out, int max, long *total)
{
	/* The texts to the prefix after since up to mature not verified by
	 * the block's time. */
	const struct store_arg a[] = {ARG_TEXT(b->prefix), ARG_INT(b->created - window),
				      ARG_INT(b->created - grace), ARG_INT(b->created),
				      ARG_INT(max)};

	/* The operator's blocks (and lifts) have no evidence behind them. */
	if (strcmp(b->reason, "conversion") != 0) {
		assert(max > 0);
		memset(out, 0, sizeof(*out) * (size_t)max);
		*total = 0;
		return 0;
	}
	return store_nets(st, STMT_BLOCK_NETS, a, NARGS(a), out, max, total);
}

/* ---- purges ---------------------------------------------------------------- */

int
store_purge(struct store *st, time_t now, long retention)
{
	const long keep = retention > OTP_PURGE_SENDS ? retention : OTP_PURGE_SENDS;
	const struct {
		enum store_stmt which;
		time_t before;
	} purge[] = {
	    {STMT_PURGE_VERIFICATIONS, now - OTP_PURGE_AFTER},
	    {STMT_PURGE_SENDS, now - keep},
	    {STMT_PURGE_FAILURES, now - OTP_PURGE_FAILURES},
	    {STMT_PURGE_ASSERTIONS, now - OTP_PURGE_ASSERTIONS},
	    {STMT_PURGE_MESSAGES,
	     now - (retention > OTP_PURGE_MESSAGES ? retention : OTP_PURGE_MESSAGES)},
	    {STMT_PURGE_CALLS, /* as the messages */
	     now - (retention > OTP_PURGE_MESSAGES ? retention : OTP_PURGE_MESSAGES)},
	    {STMT_PURGE_EVENTS, now - OTP_PURGE_EVENTS},
	    {STMT_PURGE_VERIFIED, now - keep},
	    {STMT_PURGE_REFUSALS, now - keep},
	    {STMT_PURGE_BLOCKS, now}, /* blocks over */
	};
	size_t i;

	for (i = 0; i < sizeof(purge) / sizeof(purge[0]); i++) {
		const struct store_arg a[] = {ARG_INT(purge[i].before), ARG_INT(OTP_PURGE_BATCH)};

		if (store_exec(st, purge[i].which, a, NARGS(a)) < 0)
			return -1;
	}
	return 0;
}

/* ---- otp-admin's ----------------------------------------------------------- */

int
store_unlock(struct store *st, const char *phone, const char *net, long *verifications,
	     long *failures)
{
	/* Every code of the number and its wrong codes; with net, its codes
	 * and the wrong codes on them. */
	static const enum store_stmt which[2][2] = {
	    {STMT_UNLOCK_VERIFICATIONS, STMT_FORGET_FAILURES},
	    {STMT_UNLOCK_NET_VERIFICATIONS, STMT_UNLOCK_NET_FAILURES},
	};
	const int by_net = net != NULL;
	const struct store_arg a[] = {ARG_TEXT(phone), ARG_TEXT(net)};

	*verifications = *failures = 0;
	if ((*verifications = store_exec(st, which[by_net][0], a, 1 + by_net)) < 0 ||
	    (*failures = store_exec(st, which[by_net][1], a, 1 + by_net)) < 0)
		return -1;
	return 0;
}

int
store_locks(struct store *st, enum store_lock_kind kind, time_t now, long window, long limit,
	    struct store_lock *out, int max)
{
	static const enum store_stmt which[] = {
	    [LOCK_NET_FAILURES] = STMT_LOCKS_NET_FAILURES,
	    [LOCK_FAILURES] = STMT_LOCKS_FAILURES,
	    [LOCK_CODE] = STMT_LOCKS_CODES,
	    [LOCK_NET_TEXTS] = STMT_LOCKS_NET_TEXTS,
	    [LOCK_TEXTS] = STMT_LOCKS_TEXTS,
	};
	const struct store_arg a[] = {ARG_INT(now), ARG_INT(window), ARG_INT(limit), ARG_INT(max)};
	/* A code is locked until it expires: no window. */
	const struct store_arg c[] = {ARG_INT(now), ARG_INT(limit), ARG_INT(max)};
	struct store_list l = {out, sizeof(*out), 0, max, store_lock_row};
	int n, i;

	assert(max > 0 && kind >= LOCK_NET_FAILURES && kind <= LOCK_TEXTS);
	memset(out, 0, sizeof(*out) * (size_t)max);
	/* A limit of 0 is no limit (as limit_one() reads it): nothing is locked. */
	if (limit <= 0 || (kind != LOCK_CODE && window <= 0))
		return 0;
	if (kind == LOCK_CODE)
		n = store_list(st, which[kind], c, NARGS(c), &l);
	else
		n = store_list(st, which[kind], a, NARGS(a), &l);
	for (i = 0; i < n; i++)
		out[i].kind = kind;
	return n;
}

int
store_lock_nets(struct store *st, enum store_lock_kind kind, const char *phone, time_t since,
		struct store_net *out, int max, long *total)
{
	const struct store_arg a[] = {ARG_TEXT(phone), ARG_INT(since), ARG_INT(max)};

	assert(kind == LOCK_FAILURES || kind == LOCK_TEXTS);
	return store_nets(st,
			  kind == LOCK_FAILURES ? STMT_LOCK_NETS_FAILURES : STMT_LOCK_NETS_TEXTS, a,
			  NARGS(a), out, max, total);
}

int
store_forget(struct store *st, const char *phone, struct store_forgotten *out)
{
	/* The assertions and messages first: they are found through the verifications. */
	const struct {
		enum store_stmt which;
		long *n;
	} forget[] = {
	    {STMT_FORGET_ASSERTIONS, &out->assertion},
	    {STMT_FORGET_MESSAGES, &out->message},
	    {STMT_FORGET_CALLS, &out->call},
	    {STMT_FORGET_VERIFICATIONS, &out->verification},
	    {STMT_FORGET_SENDS, &out->send},
	    {STMT_FORGET_FAILURES, &out->failure},
	    {STMT_FORGET_VERIFIED, &out->verified},
	    {STMT_FORGET_BLOCKS, &out->block},
	};
	const struct store_arg a[] = {ARG_TEXT(phone)};
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(forget) / sizeof(forget[0]); i++)
		if ((*forget[i].n = store_exec(st, forget[i].which, a, NARGS(a))) < 0)
			return -1;
	return 0;
}

int
store_totals(struct store *st, time_t since, const char *currency, struct store_totals *t)
{
	const struct store_arg a[] = {ARG_INT(since), ARG_TEXT(currency)};
	long long n[7];

	memset(t, 0, sizeof(*t));
	if (store_ints(st, STMT_TOTALS, a, NARGS(a), n, 7) < 0)
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

int
store_groups(struct store *st, time_t since, enum store_group by, const char *currency,
	     struct store_group_row *out, int max)
{
	static const enum store_stmt which[] = {
	    [GROUP_PREFIX] = STMT_GROUPS_PREFIX,
	    [GROUP_COUNTRY] = STMT_GROUPS_COUNTRY,
	    [GROUP_HOUR] = STMT_GROUPS_HOUR,
	    [GROUP_DAY] = STMT_GROUPS_DAY,
	};
	const struct store_arg a[] = {ARG_INT(since), ARG_TEXT(currency), ARG_INT(max)};
	struct store_list l = {out, sizeof(*out), 0, max, store_group_row};
	int n, i;

	assert(by >= GROUP_PREFIX && by <= GROUP_DAY);
	/* By hour and day the newest came first, for the limit: in time order. */
	if ((n = store_list(st, which[by], a, NARGS(a), &l)) > 1 &&
	    (by == GROUP_HOUR || by == GROUP_DAY))
		for (i = 0; i < n / 2; i++) {
			struct store_group_row t = out[i];

			out[i] = out[n - 1 - i];
			out[n - 1 - i] = t;
		}
	return n;
}

int
store_refusal_kinds(struct store *st, time_t since, struct store_group_row *out, int max)
{
	const struct store_arg a[] = {ARG_INT(since), ARG_INT(max)};
	struct store_list l = {out, sizeof(*out), 0, max, store_kind_row};

	return store_list(st, STMT_REFUSAL_KINDS, a, NARGS(a), &l);
}

int
store_channels(struct store *st, time_t since, struct store_channel_count out[STORE_CHANNELS])
{
	const struct store_arg a[] = {ARG_INT(since)};
	long long n[2 * STORE_CHANNELS];
	int i;

	memset(out, 0, sizeof(*out) * STORE_CHANNELS);
	if (store_ints(st, STMT_CHANNELS, a, NARGS(a), n, 2 * STORE_CHANNELS) < 0)
		return -1;
	/* Each channel's sent, then verified, in the enum's order. */
	for (i = 0; i < STORE_CHANNELS; i++) {
		out[i].sent = (long)n[2 * i];
		out[i].verified = (long)n[2 * i + 1];
	}
	return 0;
}

int
store_call_ends(struct store *st, time_t since, struct store_call_ends *e)
{
	/* The stages of a call answered and not hung up yet. */
	const struct store_arg a[] = {ARG_INT(since), ARG_INT(CALL_ANSWERED), ARG_INT(CALL_SPOKEN)};
	long long n[6];

	memset(e, 0, sizeof(*e));
	if (store_ints(st, STMT_CALL_ENDS, a, NARGS(a), n, 6) < 0)
		return -1;
	e->answered = (long)n[0];
	e->no_answer = (long)n[1];
	e->busy = (long)n[2];
	e->rejected = (long)n[3];
	e->machine = (long)n[4];
	e->other = (long)n[5];
	return 0;
}
