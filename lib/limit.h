/*
 * The abuse limits: which numbers may get a code, how often, from whom,
 * and how many wrong codes a number may take.  The counts live in the
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

/* Whether codes may be sent to phone (of calling_code, 0: not known):
 * ALLOWED_COUNTRY_CODES, as config_country() matches. */
int limit_country_allowed(const struct config *cfg, const char *phone, int calling_code);

/*
 * The key a client address is counted under: an IPv4 address as it is,
 * an IPv6 address as its /64 ("2001:db8:1:2::/64"), an IPv4-mapped one
 * (::ffff:a.b.c.d) as its IPv4 address, "-" when unknown.
 */
void limit_client_key(const char *remote_addr, char *out, size_t size);

/* A limit that was reached. */
struct limit_hit {
	const char *name; /* its config key ("PHONE_SEND_LIMIT"), for the log */
	long retry_after; /* seconds until it lets another through */
	int budget;       /* a cap on all sends (hourly, daily): a pumping wave? */
	int guesses;      /* a cap on wrong codes rather than on sends */
};

/* How limit_send() counts a start. */
#define LIMIT_UNDELIVERED                                                                          \
	0x1 /* the visitor's last text to phone was not delivered: no cooldown                     \
	     */
#define LIMIT_INBOUND                                                                              \
	0x2 /* nothing is sent (CHANNELS=inbound): no cooldown, and not                            \
	     * counted by the caps on what is paid (country, hourly, daily) */

/*
 * May a code go to phone, asked for by client, now?  Checks the resend
 * cooldown (but see how), the per-phone, per-client, per-country, hourly
 * and daily limits, the wrong-code limit, and that no live code of the number is locked; if all
 * pass, records the send and sets *attempts to the wrong tries the new code starts with (the most
 * of the number's live codes). Returns 0, 429 with *hit filled, or -1 on a database error.
 */
int limit_send(struct store *st, const struct config *cfg, const char *phone, int calling_code,
	       const char *client, int how, time_t now, int *attempts, struct limit_hit *hit);

/*
 * May phone take another guess?  0, or 429 with *hit filled when it has
 * had PHONE_FAILURE_LIMIT wrong codes in the last hour; -1 on error.
 */
int limit_guess(struct store *st, const struct config *cfg, const char *phone, time_t now,
		struct limit_hit *hit);

#endif
