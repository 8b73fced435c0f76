/*
 * The store shared by the programs: verifications (the code's hash,
 * timestamps, attempts, status) and what the limits count, in one
 * database.  The calls are the same whatever the engine: each is written
 * once (lib/store_ops.c) as statements that lib/store.c hands to the
 * engine (lib/store_engine.h), whose SQL for them is in sql/.  The engine
 * is SQLite (lib/store_sqlite.c): one file, made with sql/schema.sql on
 * first use and brought up to date by the steps of sql/ when an older one
 * is opened.  WAL, a busy timeout and short immediate transactions keep
 * concurrent CGI processes from failing.  Or, for several web servers,
 * PostgreSQL (lib/store_pg.c, DATABASE_URL), with the same tables
 * (sql/pg-schema.sql).
 */
#ifndef OTP_STORE_H
#define OTP_STORE_H

#include <stddef.h>
#include <time.h>

#include "bounds.h"

struct store;

enum store_status {
	STATUS_PENDING, /* code sent (or being sent), may be tried */
	STATUS_USED,    /* verified once: dead */
	STATUS_LOCKED,  /* too many wrong tries: dead */
	STATUS_FAILED   /* the SMS was not sent: dead */
};

/* How a verification's code travels: the channel column's words. */
enum store_way {
	WAY_SMS,     /* 'sms': texted to the phone */
	WAY_INBOUND, /* 'inbound': shown, to be texted back from the phone */
	WAY_VOICE    /* 'voice': a call (spoken, or a key pressed; issue 25) */
};

/* The word of way ("sms"), and the way of a word (WAY_SMS for any other). */
const char *store_way_word(enum store_way way);
enum store_way store_way_of(const char *word);

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
	enum store_way way; /* how its code travels: WAY_INBOUND shown, to be texted back */
	char prefix[OTP_PREFIX_MAX + 1]; /* the destination range (phone_prefix()), or "" */
	char cc[16];                     /* the calling code ("+44"), or "" */
	time_t approved_at;              /* inbound: when the right text came (0: not yet) */
	char lang[16]; /* the visitor's language when it was made (LANGUAGES), or "" */
	/* The network of the visitor who asked (limit_net_key()), or "": the
	 * wrong tries of its codes count against that network. */
	char net[OTP_NET_MAX + 1];
	/* The ways its number may take, decided whole when it was asked for
	 * (country, line type, region): what its pages offer (core.h's ALT_VOICE,
	 * ALT_SMS bits); 0 for none. */
	unsigned ways;
	/* Read only (store_put() does not write it): the latest status
	 * Telnyx reported of message_id ("delivered"), or "": none yet. */
	char delivery[OTP_STATUS_MAX + 1];
};

/*
 * Open the database at path (a PostgreSQL URL: the tables there): make it
 * if there is none (whole, before any other process can see it), upgrade
 * it if it is of an older schema.
 * Returns NULL after logging why (one line), among others when it is of
 * a newer schema than this program.  Free with store_close().
 */
struct store *store_open(const char *path);
void store_close(struct store *st);

/*
 * Whether url (DATABASE_URL) is one the store can open, by the engine's
 * own parser: 0, or -1 with why (size bytes: "is not a valid connection
 * URI (...)"), which never holds the URL or its password.  Loads the
 * engine's library.  A path (SQLite) is always 0.
 */
int store_url_check(const char *url, char *why, size_t size);

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

/*
 * The time of the request, from the one clock every web server shares:
 * the database's for PostgreSQL, local (the machine's) for a SQLite file.
 * Returns (time_t)-1 after logging when the database cannot tell.
 */
time_t store_now(struct store *st, time_t local);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  begin and commit return 0 or -1. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Delete verifications dead for more than OTP_PURGE_AFTER seconds, wrong
 * codes older than an hour, webhook events older than a day, blocks that
 * are over, and sends, messages, codes verified and refusals older than
 * retention seconds (RETENTION_DAYS; at least a day: the limits count sends
 * of a day). */
int store_purge(struct store *st, time_t now, long retention);

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

/* ---- calls (CHANNELS=voice, issue 25) ---- */

/*
 * How far a call got, by the events Telnyx sends of it: each stage above
 * the one before, so that a call's record only goes forward.  The
 * status word stored beside it is the name here ("answered").
 */
enum store_call_stage {
	CALL_PLACED = 1, /* POST /v2/calls taken */
	CALL_RINGING,    /* call.initiated */
	CALL_ANSWERED,   /* call.answered */
	CALL_DETECTED,   /* call.machine.detection.ended: a person, or a machine */
	CALL_SPOKEN,     /* call.speak.ended, call.gather.ended: the code said, the digit asked */
	CALL_ENDED       /* call.hangup: nothing after it changes the call */
};

/* A call, as the store keeps it. */
struct store_call {
	char state[OTP_CALL_STATE_LEN + 1]; /* its client_state, base64 */
	char vid[OTP_ID_LEN + 1];           /* its verification */
	char phone[OTP_PHONE_MAX + 1];
	char call_id[OTP_CALL_ID_MAX + 1]; /* Telnyx's call_control_id; "" not known yet */
	char status[16];                   /* the latest event's word ("answered") */
	int stage;                         /* enum store_call_stage */
	char cause[32];                    /* hangup_cause, or the machine's verdict; "" */
	time_t created, updated;
};

/* Record a call placed for verification vid to phone, found by its
 * client_state state (a token made for it).  Returns 0 or -1. */
int store_call_add(struct store *st, const char *state, const char *vid, const char *phone,
		   time_t now);

/* Give the call of state its call_control_id: 1, or 0 when it has
 * another already (never replaced) or there is no such call; -1. */
int store_call_set_id(struct store *st, const char *state, const char *call_id, time_t now);

/* The call of state into c (zeroed): 1, 0 if none, -1. */
int store_call_find(struct store *st, const char *state, struct store_call *c);

/* The latest call of verification vid into c (zeroed): 1, 0 if none, -1. */
int store_call_latest(struct store *st, const char *vid, struct store_call *c);

/*
 * Move the call of state to stage (named status; cause, or "") if that is
 * further than it got: 1, or 0 when it was there or further already (a
 * duplicate, an event out of order: nothing changes) or there is no such
 * call; -1.
 */
int store_call_stage(struct store *st, const char *state, enum store_call_stage stage,
		     const char *status, const char *cause, time_t now);

/*
 * Kill the code of verification id whose hash is mac: the SMS was not
 * sent, so it may not be usable.  If it is the pending code, the code
 * before it, if still live at now, becomes the pending code again, else
 * the verification fails; if a newer request made it the code before,
 * it is forgotten.  Returns 0 or -1.
 */
int store_fail(struct store *st, const char *id, const unsigned char mac[OTP_MAC_LEN], time_t now);

/*
 * What the limits count.  A text is asked for (by a client, from a
 * network), then sent, or refused by the provider (store_unsend()): the
 * asker's counts take both, what counts texts that reach a phone or cost
 * money only those sent.  An inbound start sends nothing.
 */
enum store_scope {
	/* "Texts" are the paid sends that reach a phone: texts and calls. */
	SCOPE_TEXTS,          /* texts sent to one number, whoever asked */
	SCOPE_NET_TEXTS,      /* texts asked for one number from one network */
	SCOPE_NET_SMS,        /* ... of them, the texts only (a text's cooldown) */
	SCOPE_CALLS,          /* calls placed to one number, whoever asked */
	SCOPE_NET_CALLS,      /* calls asked for one number from one network */
	SCOPE_NET_CALL_TRIES, /* ... and those the provider refused (a call's cooldown) */
	SCOPE_INBOUND,        /* inbound starts for one number, whoever asked */
	SCOPE_NET_INBOUND,    /* inbound starts for one number from one network */
	SCOPE_CLIENT,         /* texts asked for by one client address */
	SCOPE_CLIENT_INBOUND, /* inbound starts by one client address */
	SCOPE_NET_UNVERIFIED, /* texts asked for from one network (key), not verified since */
	SCOPE_COUNTRY,        /* texts sent to one country code */
	SCOPE_ALL,            /* all texts sent (key unused) */
	SCOPE_FAILURES,       /* wrong codes for one number */
	SCOPE_NET_FAILURES    /* wrong codes for one number, on codes asked from one network */
};

struct store_count {
	long n;        /* rows after since */
	time_t oldest; /* the oldest of them (0 if none) */
};

/* Count the rows of scope for key (and net, for the SCOPE_NET_ ones)
 * after since.  Returns 0 or -1. */
int store_count(struct store *st, enum store_scope scope, const char *key, const char *net,
		time_t since, struct store_count *out);

/*
 * The most wrong tries of a live verification of phone asked for from
 * net that was not used (pending, locked, or failed to send), and when
 * the latest such one expires: a new code for the number asked from that
 * network starts from that count, so that no new code resets it.
 * Returns 0 (n = 0 when there is none) or -1.
 */
int store_phone_attempts(struct store *st, const char *phone, const char *net, time_t now, int *n,
			 time_t *expires);

/* A code sent (or shown, for inbound), as store_add_send() records it. */
struct store_send {
	const char *phone;   /* E.164 */
	const char *client;  /* limit_client_key() */
	const char *country; /* the config's entry it matched ("+1876"), or "" */
	const char *prefix;  /* phone_prefix(), or "" */
	const char *cc;      /* its calling code ("+1"), or "" */
	enum store_way
	    way;         /* inbound: shown, to be texted back: the caps on texts do not count it */
	const char *net; /* limit_net_key() of the client */
};

/* Record a code sent, or a wrong code (on a code asked from net), or a
 * code verified.  Return 0 or -1. */
int store_add_send(struct store *st, time_t now, const struct store_send *s);
int store_add_failure(struct store *st, time_t now, const char *phone, const char *net);
int store_add_verified(struct store *st, time_t now, const struct verification *v);

/*
 * The text or call (way WAY_SMS, WAY_VOICE) to phone that client asked
 * for at at, recorded by store_add_send(), was refused by the provider:
 * nothing was sent or paid.  It still counts for the asker (client and
 * network limits, its own way's cooldown), no longer for what counts
 * sends that reach a phone (the number's daily cap and calls, the
 * country, hourly and daily caps, the conversion breaker, the spend).
 * A send of the other way in the same second is left alone.  Returns 0
 * (also when there is no such send) or -1.
 */
int store_unsend(struct store *st, time_t at, const char *phone, const char *client,
		 enum store_way way);

/* Record a send refused by a limit of kind ("cooldown", "conversion"),
 * counted per minute and prefix (phone is not kept). */
int store_add_refusal(struct store *st, time_t now, const char *kind, const char *phone,
		      const char *prefix);

/* What the conversion breaker weighs of a prefix (store_conversion()). */
struct store_conversion {
	long sends;      /* texts sent after since, up to mature: old enough to be judged */
	long verified;   /* of those, the ones whose number was verified by text since */
	long nets;       /* the networks that asked for the others (unverified) */
	long fresh;      /* texts sent after mature, not verified yet */
	long fresh_nets; /* the networks that asked for those */
};

/*
 * The texts sent (not refused, not inbound starts) to numbers of prefix
 * after since (or after the operator's last lift of a block of it), as
 * struct store_conversion counts them.  A text is verified when its
 * number was verified by text at or after it.  Returns 0 or -1.
 */
int store_conversion(struct store *st, const char *prefix, time_t since, time_t mature,
		     struct store_conversion *out);

/*
 * The spend on texts and calls sent after since, in millionths: the costs
 * Telnyx reported in currency, estimate for each text sent with none
 * (yet), and call for each call placed (their cost is not reported).
 * Returns 0 or -1.
 */
int store_spend(struct store *st, time_t since, const char *currency, long long estimate,
		long long call, long long *micros);

/* A block of a prefix. */
struct store_block {
	char prefix[OTP_PREFIX_MAX + 1];
	time_t until;
	char reason[16]; /* "conversion" or "operator" */
	time_t created;
};

/* The longest block in force at now whose prefix begins phone: 1 with *b
 * filled, 0 when none, -1 on error. */
int store_block_find(struct store *st, const char *phone, time_t now, struct store_block *b);

/* Set (or replace) the block b.  Returns 0 or -1. */
int store_block_set(struct store *st, const struct store_block *b);

/* Lift the block of prefix at now: 1, 0 if none was in force, -1 on
 * error.  The conversion breaker then judges the prefix by what comes
 * after now only (else it would block it again at the next send). */
int store_block_end(struct store *st, const char *prefix, time_t now);

/* The blocks in force at now, longest-lasting first, into out (at most
 * max): how many, or -1. */
int store_blocks(struct store *st, time_t now, struct store_block *out, int max);

/* A network (limit_net_key(); "" for rows from before schema 9) and how
 * many rows of it were counted. */
struct store_net {
	char net[OTP_NET_MAX + 1];
	long n;
};

/*
 * The networks behind the conversion breaker's block b, judged at
 * b->created over a window of seconds with grace seconds for a code to be
 * typed (CONVERSION_WINDOW, CONVERSION_GRACE): those that asked for the
 * texts sent (channel sms) to numbers of b->prefix after b->created -
 * window up to b->created - grace whose number was not verified by text
 * between the text and b->created, the texts store_conversion() counted
 * as not verified then.  (A lift by the operator before it is not seen:
 * the block took the lift's place.)  The most texts first, then by
 * network, each with its texts, into out (at most max); *total gets how
 * many networks there are in all.  Returns how many are in out, or -1;
 * 0 for a block that is not the breaker's.
 */
int store_block_nets(struct store *st, const struct store_block *b, long window, long grace,
		     struct store_net *out, int max, long *total);

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

/* ---- otp-admin's ------------------------------------------------------- */

/*
 * End phone's locks and wrong-code counts, the support desk's answer to "I
 * typed it wrong too often": its pending and locked codes die (their wrong
 * tries may have been somebody else's guesses), and no code of it hands a
 * wrong try on to the next (a code that failed to send keeps none either),
 * and its wrong codes are forgotten, so that the next code is sent.  With
 * net (not NULL), only the codes asked from that network and the wrong
 * codes on them: the other networks' locks stay.  *verifications and
 * *failures get the rows changed.  Returns 0 or -1.
 */
int store_unlock(struct store *st, const char *phone, const char *net, long *verifications,
		 long *failures);

/* The lockouts of a number, by the limit that makes each (limit.c). */
enum store_lock_kind {
	LOCK_NET_FAILURES, /* PHONE_FAILURE_LIMIT: wrong codes on codes asked from one network */
	LOCK_FAILURES,     /* OTP_FAILURE_CAP: wrong codes for the number, every network's */
	LOCK_CODE,         /* MAX_ATTEMPTS: live codes asked from one network took their tries */
	LOCK_NET_TEXTS,    /* PHONE_NETWORK_LIMIT: texts asked for the number from one network */
	LOCK_TEXTS         /* PHONE_DAILY_LIMIT: texts sent to the number, whoever asked */
};

struct store_lock {
	enum store_lock_kind kind;
	char phone[OTP_PHONE_MAX + 1];
	char net[OTP_NET_MAX + 1]; /* the network locked out (LOCK_NET_*, LOCK_CODE), else "" */
	long n;                    /* the rows counted; LOCK_CODE: the codes */
	/* When it ends: the oldest row counted leaves the window; LOCK_CODE:
	 * the last of the codes expires. */
	time_t ends;
};

/*
 * The lockouts of kind in force at now, as limit_send() and limit_guess()
 * count them: each number (and network, for the per-network kinds) with
 * at least limit rows in the window of seconds before now; for
 * LOCK_CODE, with live codes (not used, not expired at now) of at least
 * limit wrong tries (window unused).  By number, then network, into out
 * (at most max).  Returns how many, or -1.
 */
int store_locks(struct store *st, enum store_lock_kind kind, time_t now, long window, long limit,
		struct store_lock *out, int max);

/*
 * The networks behind a lockout of phone over every network after since:
 * LOCK_FAILURES, the networks whose codes took the wrong codes; LOCK_TEXTS,
 * those that asked for the texts sent.  The most rows first, then by
 * network, into out (at most max); *total gets how many networks there
 * are in all.  Returns how many are in out, or -1.
 */
int store_lock_nets(struct store *st, enum store_lock_kind kind, const char *phone, time_t since,
		    struct store_net *out, int max, long *total);

/* What store_forget() removed, per table. */
struct store_forgotten {
	long verification, send, failure, message, verified, block, assertion, call;
};

/* Erase every row about phone (and the assertions of its verifications).
 * Returns 0 or -1. */
int store_forget(struct store *st, const char *phone, struct store_forgotten *out);

/* What otp-admin stats counts after since. */
struct store_totals {
	long sent;      /* codes sent, and inbound codes shown */
	long verified;  /* codes verified */
	long delivered; /* texts Telnyx reported delivered */
	long failed;  /* texts Telnyx reported failed (delivery_failed, sending_failed, expired) */
	long refused; /* sends refused by a limit */
	long long spend; /* millionths of the currency asked for, reported by Telnyx */
	long costed;     /* texts whose cost was reported (in that currency) */
};

int store_totals(struct store *st, time_t since, const char *currency, struct store_totals *t);

enum store_group {
	GROUP_PREFIX,  /* "+1202555" */
	GROUP_COUNTRY, /* "+1" */
	GROUP_HOUR,    /* "2026-12-02T05:00Z" */
	GROUP_DAY      /* "2026-12-02" */
};

struct store_group_row {
	char key[24];
	long sent, verified, refused;
	long long spend; /* reported, in millionths (by day and hour) */
};

/* The groups after since, the most sends first (by hour and day: in time
 * order), into out (at most max): how many, or -1. */
int store_groups(struct store *st, time_t since, enum store_group by, const char *currency,
		 struct store_group_row *out, int max);

/* Refusals after since per limit kind (key), the most first. */
int store_refusal_kinds(struct store *st, time_t since, struct store_group_row *out, int max);

/* The channels otp-admin stats counts apart, by the word send.channel and
 * verified.channel keep. */
enum store_channel {
	STORE_CH_SMS,     /* "sms": texts sent, codes verified by text */
	STORE_CH_VOICE,   /* "voice": calls placed, codes verified through a call */
	STORE_CH_INBOUND, /* "inbound": codes shown to be texted back, and texted */
	STORE_CHANNELS
};

struct store_channel_count {
	long sent;     /* codes sent (texts, calls) or shown; not those the provider refused */
	long verified; /* codes verified */
};

/* The codes sent and verified after since per channel, into out (indexed
 * by enum store_channel).  Returns 0 or -1. */
int store_channels(struct store *st, time_t since, struct store_channel_count out[STORE_CHANNELS]);

/*
 * How the calls placed after since ended, each counted once, by the cause
 * the store keeps (the hang-up's, or the answering machine's verdict,
 * which CALL_STAGE keeps over the hang-up after it), else by the stage
 * the call reached.
 */
struct store_call_ends {
	long answered;  /* normal_clearing, time_limit; or answered, not hung up yet */
	long no_answer; /* no_answer, timeout */
	long busy;      /* user_busy */
	long rejected;  /* call_rejected */
	long machine;   /* the verdict machine or not_sure: nothing was said */
	long other;     /* another cause (originator_cancel, ...), or not answered yet */
};

/* Returns 0 or -1. */
int store_call_ends(struct store *st, time_t since, struct store_call_ends *e);

#endif
