/*
 * The abuse limits: which numbers may get a code (and which may verify
 * by an inbound text), how often, from whom, and how many wrong codes a
 * number may take.  The counts live in the
 * store, so every CGI process sees the same; the callers run these inside
 * one immediate transaction, so concurrent requests never both take the
 * last place.
 */
#ifndef OTP_LIMIT_H
#define OTP_LIMIT_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "store.h"

/*
 * The entry of cfg->countries whose code begins the E.164 number phone,
 * and is its calling code (44 for +44...: the number's, from
 * libphonenumber) or an area within it (+1876 in +1); the longest that
 * matches, only allowed ones if allowed_only; or NULL.  A calling code
 * of 0 (not known) matches by prefix alone.
 */
const struct config_country *limit_country(const struct config *cfg, const char *phone,
					   int calling_code, int allowed_only);

/* Whether codes may be sent to phone (of calling_code, 0: not known):
 * ALLOWED_COUNTRY_CODES, as limit_country() matches. */
int limit_country_allowed(const struct config *cfg, const char *phone, int calling_code);

/* Whether phone (E.164, of calling_code; 0: not known) may verify by an
 * inbound text: its calling code, or an area within it (+1876), is in
 * INBOUND_COUNTRY_CODES, matched as limit_country() matches. */
int limit_inbound_allowed(const struct config *cfg, const char *phone, int calling_code);

/*
 * Whether a call may go to phone, of line type type (enum phone_type):
 * the site offers calls (CHANNELS=voice), the type is one of
 * VOICE_LINE_TYPES (never premium rate, shared cost or UAN: config.c),
 * and the number is in VOICE_COUNTRY_CODES (default COUNTRY_CODE's
 * country only: a call abroad is where toll fraud earns).
 */
int limit_voice_allowed(const struct config *cfg, const char *phone, int calling_code, int type);

/*
 * The key a client address is counted under: an IPv4 address as it is,
 * an IPv6 address as its /64 ("2001:db8:1:2::/64"), an IPv4-mapped one
 * (::ffff:a.b.c.d) as its IPv4 address, "-" when unknown.
 */
void limit_client_key(const char *remote_addr, char *out, size_t size);

/*
 * The network a client address is counted under where one attacker must
 * not pass for many (a number's limits, the conversion breaker): an IPv4
 * address as its /24 ("203.0.113.0/24"), an IPv6 address as its /48
 * ("2001:db8:1::/48": what one site or customer is given), an
 * IPv4-mapped one as its IPv4 /24, "-" when unknown.
 */
void limit_net_key(const char *remote_addr, char *out, size_t size);

/* A limit that was reached. */
struct limit_hit {
	const char *name; /* its config key ("PHONE_SEND_LIMIT"), for the log */
	const char *kind; /* its kind, for JSON and stats: cooldown, phone, guesses, client,
			   * country, cap, blocked, conversion, budget */
	long retry_after; /* seconds until it lets another through */
	int budget;       /* a cap on all sends (hourly, daily, spend): a pumping wave? */
	/* A limit that holds for more than the asker (a block, a cap, the
	 * number's day of texts, a network's limits, which visitors behind
	 * one NAT share): a way through that costs nothing (the inbound
	 * channel) is offered where the site has one. */
	int everyone;
	int guesses; /* a cap on wrong codes rather than on sends */
	/* The conversion breaker tripped: the caller blocks this prefix for
	 * CONVERSION_BLOCK seconds once the transaction is over (a refusal
	 * rolls it back). */
	int start_block;
	int conversion_block;       /* refused by a block the breaker made */
	long sends, verified, nets; /* what the breaker counted */
};

/* A start as limit_send() judges it. */
struct limit_req {
	const char *phone;  /* E.164 */
	int calling_code;   /* from libphonenumber, 0 if not known */
	const char *client; /* limit_client_key() */
	const char *net;    /* limit_net_key() */
	const char *prefix; /* phone_prefix(), or "" */
	const char *cc;     /* "+44", or "" */
	int how;            /* LIMIT_* */
	time_t now;
};

/* How limit_send() counts a start (struct limit_req's how). */
enum limit_how {
	/* The visitor's last text to phone was not delivered, or the last
	 * call ended undone: no cooldown. */
	LIMIT_UNDELIVERED = 0x1,
	/* Nothing is sent (CHANNELS=inbound): no cooldown, and no cap on what
	 * is paid counts it (country, hourly, daily, breaker, spend). */
	LIMIT_INBOUND = 0x2,
	/* A call (CHANNELS=voice): a paid send like a text, in every limit
	 * of texts, with a cooldown of its own (a call after a text is
	 * another way, not the same asked again) and VOICE_PHONE_LIMIT, a
	 * tighter cap per number (a call rings a phone: bombing by calls is
	 * worse). */
	LIMIT_VOICE = 0x4
};

/*
 * May a code go to q->phone, asked for by q->client from q->net, at
 * q->now?  Checks the blocks (otp-admin's and the breaker's), the resend
 * cooldown (but see q->how), the limits per phone and network, per phone,
 * per client, per country, per hour and per day, the wrong-code limits,
 * the conversion breaker and the day's spend (texts only), and that no
 * live code of the number asked from that network is locked; if all
 * pass, records the send and sets *attempts to the wrong tries the new
 * code starts with (the most of those live codes).  What one network
 * asks for a number counts against that network, under caps per number
 * for all: one network cannot use up a number for the others.  Returns
 * 0, 429 with *hit filled, or -1 on a database error.
 */
int limit_send(struct store *st, const struct config *cfg, const struct limit_req *q, int *attempts,
	       struct limit_hit *hit);

/* Seconds from now to the end of the UTC day (the spend budget's window). */
long limit_day_left(time_t now);

/*
 * Whether phone may still get a call today by VOICE_PHONE_LIMIT (whoever
 * asks): 1, 0 when it had its calls, -1 on a database error.  For the
 * ways a page offers: a call it would refuse is no way through.
 */
int limit_calls_left(struct store *st, const struct config *cfg, const char *phone, time_t now);

/*
 * May phone take another guess on a code asked from net?  0, or 429 with
 * *hit filled when the number has had PHONE_FAILURE_LIMIT wrong codes on
 * codes asked from that network in the last hour, or OTP_FAILURE_CAP
 * wrong codes in all; -1 on error.
 */
int limit_guess(struct store *st, const struct config *cfg, const char *phone, const char *net,
		time_t now, struct limit_hit *hit);

/* A lockout of a number that limit_send() or limit_guess() makes, as
 * otp-admin lists it (store_locks()). */
struct limit_lockout {
	enum store_lock_kind kind;
	const char *name; /* its config key ("PHONE_FAILURE_LIMIT"), as struct limit_hit's */
	long max;         /* the count that locks (LOCK_CODE: a code's wrong tries) */
	long window;      /* seconds it counts over (LOCK_CODE: 0, the codes' life) */
};

#define LIMIT_LOCKOUTS 5 /* one per store_lock_kind */

/* The lockouts of a number under cfg's limits into out, indexed by kind. */
void limit_lockouts(const struct config *cfg, struct limit_lockout out[LIMIT_LOCKOUTS]);

#endif
