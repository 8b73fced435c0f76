/*
 * The abuse limits.  Each is a count of rows in the store over a sliding
 * window; when one is reached the answer is 429 with the seconds until
 * its oldest counted row leaves the window.  The numbers and defaults
 * follow what the verification services ship (see the README).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "limit.h"
#include "log.h"

int
limit_country_allowed(const struct config *cfg, const char *phone, int calling_code)
{
	return cfg->all_countries || config_country(cfg, phone, calling_code, 1) != NULL;
}

void
limit_client_key(const char *remote_addr, char *out, size_t size)
{
	unsigned char a[16];
	char buf[INET6_ADDRSTRLEN];

	if (remote_addr != NULL && inet_pton(AF_INET, remote_addr, a) == 1 &&
	    inet_ntop(AF_INET, a, buf, sizeof(buf)) != NULL) {
		snprintf(out, size, "%s", buf);
		return;
	}
	if (remote_addr != NULL && inet_pton(AF_INET6, remote_addr, a) == 1) {
		/* ::ffff:a.b.c.d from a dual-stack socket is an IPv4 client. */
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a) &&
		    inet_ntop(AF_INET, a + 12, buf, sizeof(buf)) != NULL) {
			snprintf(out, size, "%s", buf);
			return;
		}
		/* A host gets a whole /64: count the network, not the address. */
		memset(a + 8, 0, 8);
		if (inet_ntop(AF_INET6, a, buf, sizeof(buf)) != NULL) {
			snprintf(out, size, "%s/64", buf);
			return;
		}
	}
	snprintf(out, size, "-");
}

/* One limit: at most max rows of a scope in a window of seconds. */
struct limit {
	enum store_scope scope;
	const char *key;
	long max, window;
	const char *name;
	int budget, guesses; /* as in struct limit_hit */
};

/*
 * Check l.  Returns 0 when under it, 429 with *hit filled when at it, -1
 * on error.  A window or a cap of 0 is no limit (RESEND_AFTER=0, a country
 * without a cap of its own).
 */
static int
limit_one(struct store *st, const struct limit *l, time_t now, struct limit_hit *hit)
{
	struct store_count c;

	if (l->max <= 0 || l->window <= 0)
		return 0;
	if (store_count(st, l->scope, l->key, now - l->window, &c) < 0)
		return -1;
	if (c.n < l->max)
		return 0;
	hit->name = l->name;
	hit->budget = l->budget;
	hit->guesses = l->guesses;
	hit->retry_after = (long)(c.oldest + l->window - now);
	if (hit->retry_after < 1)
		hit->retry_after = 1;
	/* A concurrent request that read the clock a second later may have
	 * recorded the oldest send counted: never past the window. */
	if (hit->retry_after > l->window)
		hit->retry_after = l->window;
	return 429;
}

int
limit_send(struct store *st, const struct config *cfg, const char *phone, int calling_code,
	   const char *client, int how, time_t now, int *attempts, struct limit_hit *hit)
{
	const struct config_country *cc = config_country(cfg, phone, calling_code, 0);
	const int paid = !(how & LIMIT_INBOUND), wait = paid && !(how & LIMIT_UNDELIVERED);
	/*
	 * Most specific first: the reason logged is the nearest.  The
	 * cooldown is per phone, whoever asks: against one number bombed from
	 * many addresses.  Its price: a 429 tells that somebody asked for a
	 * code for that number in the last RESEND_AFTER seconds.
	 */
	const struct limit limits[] = {
	    /* Texts only: an inbound start sent nothing to wait for. */
	    {SCOPE_TEXTS, phone, 1, wait ? cfg->resend_after : 0, "RESEND_AFTER", 0, 0},
	    {SCOPE_PHONE, phone, cfg->phone_send_limit, cfg->phone_send_window, "PHONE_SEND_LIMIT",
	     0, 0},
	    /* Many addresses can each stay under IP_SEND_LIMIT: a day's cap per number. */
	    {SCOPE_PHONE, phone, cfg->phone_daily_limit, OTP_PHONE_DAY_WINDOW, "PHONE_DAILY_LIMIT",
	     0, 0},
	    {SCOPE_FAILURES, phone, cfg->phone_failure_limit, OTP_FAILURE_WINDOW,
	     "PHONE_FAILURE_LIMIT", 0, 1},
	    {SCOPE_CLIENT, client, cfg->ip_send_limit, OTP_CLIENT_WINDOW, "IP_SEND_LIMIT", 0, 0},
	    {SCOPE_COUNTRY, cc != NULL ? cc->code : "", cc != NULL && paid ? cc->hourly : 0,
	     OTP_COUNTRY_WINDOW, "COUNTRY_HOURLY_LIMITS", 0, 0},
	    {SCOPE_ALL, NULL, paid ? cfg->hourly_send_limit : 0, OTP_HOUR, "HOURLY_SEND_LIMIT", 1,
	     0},
	    {SCOPE_ALL, NULL, paid ? cfg->daily_send_limit : 0, OTP_DAY, "DAILY_SEND_LIMIT", 1, 0},
	};
	time_t until;
	size_t i;
	int rc;

	memset(hit, 0, sizeof(*hit));
	*attempts = 0;
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if ((rc = limit_one(st, &limits[i], now, hit)) != 0)
			return rc;
	/*
	 * No new code resets the wrong-try count of the number's live codes
	 * (NIST SP 800-63B rev. 4): the new one starts from the highest, and
	 * none is sent while one of them is locked.
	 */
	if (store_phone_attempts(st, phone, now, attempts, &until) < 0)
		return -1;
	if (*attempts >= cfg->max_attempts) {
		hit->name = "MAX_ATTEMPTS";
		hit->guesses = 1;
		hit->retry_after = until > now ? (long)(until - now) : 1;
		return 429;
	}
	return store_add_send(st, now, phone, client, cc != NULL ? cc->code : "", !paid) < 0 ? -1
											     : 0;
}

int
limit_guess(struct store *st, const struct config *cfg, const char *phone, time_t now,
	    struct limit_hit *hit)
{
	const struct limit l = {SCOPE_FAILURES,
				phone,
				cfg->phone_failure_limit,
				OTP_FAILURE_WINDOW,
				"PHONE_FAILURE_LIMIT",
				0,
				1};

	memset(hit, 0, sizeof(*hit));
	return limit_one(st, &l, now, hit);
}
