/*
 * The store shared by the programs: verifications (the code's hash,
 * timestamps, attempts, status) and what the limits count, in one
 * database.  The calls are the same whatever the engine; lib/store.c
 * hands them to it (lib/store_engine.h).  The engine is SQLite
 * (lib/store_sqlite.c): one file, made with sql/schema.sql on first use
 * and brought up to date by the steps of sql/ when an older one is
 * opened.  WAL, a busy timeout and short immediate transactions keep
 * concurrent CGI processes from failing.
 */
#ifndef OTP_STORE_H
#define OTP_STORE_H

#include <time.h>
#include "bounds.h"

struct store;

enum store_status {
	STATUS_PENDING, /* code sent (or being sent), may be tried */
	STATUS_USED,    /* verified once: dead */
	STATUS_LOCKED,  /* too many wrong tries: dead */
	STATUS_FAILED   /* the SMS was not sent: dead */
};

struct verification {
	char id[OTP_ID_LEN + 1];
	char phone[OTP_PHONE_MAX + 1];
	unsigned char mac[OTP_MAC_LEN];
	time_t created;
	time_t expires;
	/* The code before this one, live until prev_expires (0: none): a
	 * text that came late still works, and either code kills both. */
	unsigned char prev_mac[OTP_MAC_LEN];
	time_t prev_expires;
	int attempts; /* wrong tries so far */
	enum store_status status;
	char message_id[OTP_MSGID_MAX + 1]; /* empty until sent */
	char return_to[OTP_RETURN_MAX + 1]; /* empty: show the success page */
	char shown[OTP_PHONE_TEXT_MAX];     /* the number as pages show it, masked, or "" */
	int inbound;        /* the code is shown, to be texted back (CHANNELS=inbound) */
	time_t approved_at; /* inbound: when the right text came (0: not yet) */
	/* Read only (store_put() does not write it): the latest status
	 * Telnyx reported of message_id ("delivered"), or "": none yet. */
	char delivery[OTP_STATUS_MAX + 1];
};

/*
 * Open the database at path: make it if there is none (whole, before any
 * other process can see it), upgrade it if it is of an older schema.
 * Returns NULL after logging why (one line), among others when it is of
 * a newer schema than this program.  Free with store_close().
 */
struct store *store_open(const char *path);
void store_close(struct store *st);

/*
 * Whether the database open in st is no longer the one its path names
 * (removed, replaced, cut shorter): a process that keeps st between
 * requests (FastCGI) then opens the path afresh.  1 or 0.
 */
int store_stale(struct store *st);

/*
 * Between two requests of a process that keeps st (FastCGI): make the
 * database file whole, as the close that ends a CGI process does, so
 * that the file alone (moved, copied) holds every commit.  A failure is
 * logged; the next request does not depend on it.
 */
void store_idle(struct store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  begin and commit return 0 or -1. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Delete verifications dead for more than OTP_PURGE_AFTER seconds, sends,
 * messages and webhook events older than a day and wrong codes older than
 * an hour. */
int store_purge(struct store *st, time_t now);

/* Load verification id into v: returns 1, 0 if there is none, -1 on error. */
int store_get(struct store *st, const char *id, struct verification *v);

/* Insert v, or replace the verification with its id.  Returns 0 or -1. */
int store_put(struct store *st, const struct verification *v);

/*
 * Record the provider's message id on verification id, a single
 * statement that does not undo what a verify.cgi did to the row
 * meanwhile; with phone (not NULL), also the message itself, sent to
 * phone at now, for the webhooks that report on it.  Returns 0 or -1.
 */
int store_set_message_id(struct store *st, const char *id, const char *message_id,
			 const char *phone, time_t now);

/* What a webhook reported of a message. */
struct store_receipt {
	const char *message_id;
	const char *phone;                                       /* to[0].phone_number, or "" */
	const char *status;                                      /* to[0].status */
	int stage;                                               /* webhook_stage(status), 1 to 4 */
	const char *error_code, *currency, *carrier, *line_type; /* each "" when not reported */
	long long cost_micros;                                   /* -1: not reported */
	int parts;                                               /* 0: not reported */
};

/*
 * Record r on its message, made if the webhook came before request.cgi
 * recorded the send: the status and error only if r's stage is higher
 * than the one recorded (reports come out of order: a final state is
 * never replaced by an earlier one, nor by another final one); a cost
 * from a report of that stage or higher, or from any when none is known
 * yet; the carrier, line type and parts where they were not known.
 * Returns 0 or -1.
 */
int store_receipt(struct store *st, const struct store_receipt *r, time_t now);

/* Note webhook event id as taken: 1 the first time, 0 if it already
 * was, -1 on error. */
int store_event_new(struct store *st, const char *event_id, time_t now);

/*
 * Kill the code of verification id whose hash is mac: the SMS was not
 * sent, so it may not be usable.  If it is the pending code, the code
 * before it, if still live at now, becomes the pending code again, else
 * the verification fails; if a newer request made it the code before,
 * it is forgotten.  Returns 0 or -1.
 */
int store_fail(struct store *st, const char *id, const unsigned char mac[OTP_MAC_LEN], time_t now);

/* What the limits count. */
enum store_scope {
	SCOPE_PHONE,    /* codes sent to one number */
	SCOPE_CLIENT,   /* codes asked for by one client address */
	SCOPE_COUNTRY,  /* codes sent to one country code */
	SCOPE_ALL,      /* all codes sent (key unused) */
	SCOPE_FAILURES, /* wrong codes for one number */
	SCOPE_TEXTS     /* codes sent by text to one number (SCOPE_PHONE less inbound starts) */
};

struct store_count {
	long n;        /* rows after since */
	time_t oldest; /* the oldest of them (0 if none) */
};

/* Count the rows of scope for key after since.  Returns 0 or -1. */
int store_count(struct store *st, enum store_scope scope, const char *key, time_t since,
		struct store_count *out);

/*
 * The most wrong tries of a live verification of phone that was not
 * used (pending, locked, or failed to send), and when the latest such
 * one expires: a new code for the number starts from that count, so that
 * no new code resets it.  Returns 0 (n = 0 when there is none) or -1.
 */
int store_phone_attempts(struct store *st, const char *phone, time_t now, int *n, time_t *expires);

/* Record a code sent (inbound: shown, to be texted back, which the caps on
 * texts sent do not count), or a wrong code.  Return 0 or -1. */
int store_add_send(struct store *st, time_t now, const char *phone, const char *client,
		   const char *country, int inbound);
int store_add_failure(struct store *st, time_t now, const char *phone);

/*
 * The live inbound verifications of phone (pending, not expired at now,
 * not approved yet), the newest first, into out (at most max).  Returns
 * how many, or -1.
 */
int store_inbound_live(struct store *st, const char *phone, time_t now, struct verification *out,
		       int max);

/* Record that the assertion of verification vid was accepted.  Returns
 * 1 the first time, 0 if it was already, -1 on error. */
int store_mark_assertion(struct store *st, const char *vid, time_t now);

#endif
