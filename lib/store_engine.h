/*
 * What a database engine gives the store: the private side of store.h.
 * lib/store.c is the front the programs call; it checks and prepares
 * what is engine-neutral (the purge ages, the status names) and hands
 * every call on through the engine's table of operations.  An engine
 * (lib/store_sqlite.c) allocates its own handle, with struct store as
 * its first member, in its open(): one allocation per process, one
 * indirect call per operation.
 */
#ifndef OTP_STORE_ENGINE_H
#define OTP_STORE_ENGINE_H

#include "store.h"

/* What each purge deletes: rows of each table from before these times. */
struct store_cutoffs {
	time_t verification; /* dead before this (expires < it) */
	time_t send;
	time_t failure;
	time_t assertion;
	time_t message; /* last written before this */
	time_t event;
	time_t verified; /* codes verified and refusals */
	time_t block;    /* blocks over before this */
};

/*
 * An engine's operations.  Each has the contract of the store_*
 * function of the same name in store.h, except where said; the front
 * has already checked what store.h promises to check.
 */
struct store_ops {
	/* A new handle for where (a path, or later a URL), ready to use
	 * (created and migrated as need be), or NULL after logging why. */
	struct store *(*open)(const char *where);
	void (*close)(struct store *st); /* never NULL */
	int (*begin)(struct store *st);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	int (*purge)(struct store *st, const struct store_cutoffs *before);
	int (*get)(struct store *st, const char *id, struct verification *v); /* v zeroed */
	int (*put)(struct store *st, const struct verification *v);
	int (*set_message_id)(struct store *st, const char *id, const char *message_id,
			      const char *phone, time_t now);
	int (*receipt)(struct store *st, const struct store_receipt *r, time_t now);
	int (*event_new)(struct store *st, const char *event_id, time_t now);
	int (*fail)(struct store *st, const char *id, const unsigned char mac[OTP_MAC_LEN],
		    time_t now);
	/* out zeroed; key is NULL for SCOPE_ALL */
	int (*count)(struct store *st, enum store_scope scope, const char *key, const char *net,
		     time_t since, struct store_count *out);
	/* *n and *expires zeroed */
	int (*phone_attempts)(struct store *st, const char *phone, const char *net, time_t now,
			      int *n, time_t *expires);
	int (*add_send)(struct store *st, time_t now, const struct store_send *s);
	int (*add_verified)(struct store *st, time_t now, const struct verification *v);
	int (*add_refusal)(struct store *st, time_t now, const char *kind, const char *phone,
			   const char *prefix);
	/* out zeroed; since already the later of since and the last lift */
	int (*conversion)(struct store *st, const char *prefix, time_t since, time_t mature,
			  struct store_conversion *out);
	int (*lifted)(struct store *st, const char *prefix, time_t *at); /* *at zeroed */
	int (*spend)(struct store *st, time_t since, const char *currency, long long estimate,
		     long long *micros);
	int (*block_find)(struct store *st, const char *phone, time_t now, struct store_block *b);
	int (*block_set)(struct store *st, const struct store_block *b);
	int (*block_end)(struct store *st, const char *prefix, time_t now);
	int (*blocks)(struct store *st, time_t now, struct store_block *out, int max);
	/* The texts to prefix after since up to mature not verified by at
	 * (store_block_nets()); out and *total zeroed. */
	int (*block_nets)(struct store *st, const char *prefix, time_t since, time_t mature,
			  time_t at, struct store_net *out, int max, long *total);
	/* net NULL: every network */
	int (*unlock)(struct store *st, const char *phone, const char *net, long *verifications,
		      long *failures);
	int (*locks)(struct store *st, enum store_lock_kind kind, time_t now, long window,
		     long limit, struct store_lock *out, int max); /* out zeroed */
	/* kind LOCK_FAILURES or LOCK_TEXTS; out and *total zeroed */
	int (*lock_nets)(struct store *st, enum store_lock_kind kind, const char *phone,
			 time_t since, struct store_net *out, int max, long *total);
	int (*forget)(struct store *st, const char *phone, struct store_forgotten *out);
	int (*totals)(struct store *st, time_t since, const char *currency, struct store_totals *t);
	int (*groups)(struct store *st, time_t since, enum store_group by, const char *currency,
		      struct store_group_row *out, int max);
	int (*refusal_kinds)(struct store *st, time_t since, struct store_group_row *out, int max);
	/* out zeroed */
	int (*inbound_live)(struct store *st, const char *phone, time_t now,
			    struct verification *out, int max);
	int (*add_failure)(struct store *st, time_t now, const char *phone, const char *net);
	int (*unsend)(struct store *st, time_t at, const char *phone, const char *client);
	int (*mark_assertion)(struct store *st, const char *vid, time_t now);
	int (*stale)(struct store *st);
	/* The database's clock, or (time_t)-1 after logging; NULL: the
	 * machine's is the database's (one file on one machine). */
	time_t (*now)(struct store *st);
	void (*idle)(struct store *st); /* may be NULL: nothing to do */
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

/* How a status is written in the database ("pending", ...), and back:
 * an unknown name reads as STATUS_FAILED, dead rather than pending. */
const char *store_status_name(enum store_status status);
enum store_status store_status_parse(const char *name);

#endif
