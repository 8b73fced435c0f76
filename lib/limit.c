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
	const char *name, *kind;
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
	hit->kind = l->kind;
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

long
limit_day_left(time_t now)
{
	return OTP_DAY - (long)(now % OTP_DAY);
}

/* A block of the number's range in force: otp-admin's, or the breaker's. */
static int
limit_blocked(struct store *st, const struct limit_req *q, struct limit_hit *hit)
{
	struct store_block b;
	int rc = store_block_find(st, q->phone, q->now, &b);

	if (rc <= 0)
		return rc;
	hit->conversion_block = !strcmp(b.reason, "conversion");
	hit->name = hit->conversion_block ? "CONVERSION_MIN" : "otp-admin block";
	hit->kind = hit->conversion_block ? "conversion" : "blocked";
	hit->retry_after = b.until > q->now ? (long)(b.until - q->now) : 1;
	return 429;
}

/*
 * The conversion breaker: a prefix that had CONVERSION_MIN_SENDS texts in
 * the window and fewer than CONVERSION_MIN of them verified is being
 * pumped (bots make the site text numbers no person reads).  enforce:
 * 429, and the caller blocks the prefix; monitor: one log line, no
 * refusal.
 */
static int
limit_conversion(struct store *st, const struct config *cfg, const struct limit_req *q,
		 struct limit_hit *hit)
{
	long sends, verified;

	if (cfg->conversion_mode == CONVERSION_OFF || q->prefix == NULL || q->prefix[0] == '\0')
		return 0;
	if (store_conversion(st, q->prefix, q->now - cfg->conversion_window, &sends, &verified) < 0)
		return -1;
	/* verified / sends < CONVERSION_MIN, in whole numbers. */
	if (sends < cfg->conversion_min_sends ||
	    (long long)verified * 1000000 >= cfg->conversion_min * (long long)sends)
		return 0;
	if (cfg->conversion_mode == CONVERSION_MONITOR) {
		log_msg(
		    "WARNING: CONVERSION_MODE=monitor: a send to %s would be refused: %ld of %ld "
		    "codes verified in %d s (CONVERSION_MIN %s)",
		    q->prefix, verified, sends, cfg->conversion_window, cfg->conversion_min_text);
		return 0;
	}
	hit->name = "CONVERSION_MIN";
	hit->kind = "conversion";
	hit->start_block = 1;
	hit->sends = sends;
	hit->verified = verified;
	hit->retry_after = cfg->conversion_block;
	return 429;
}

/* DAILY_SPEND_LIMIT: today's spend (UTC), reported and estimated. */
static int
limit_spend(struct store *st, const struct config *cfg, const struct limit_req *q,
	    struct limit_hit *hit)
{
	long long spent;

	if (cfg->spend_limit < 0)
		return 0;
	if (store_spend(st, q->now - (q->now % OTP_DAY) - 1, cfg->spend_currency,
			cfg->sms_price * cfg->message_parts, &spent) < 0)
		return -1;
	if (spent < cfg->spend_limit)
		return 0;
	hit->name = "DAILY_SPEND_LIMIT";
	hit->kind = "budget";
	hit->budget = 1;
	hit->retry_after = limit_day_left(q->now);
	return 429;
}

int
limit_send(struct store *st, const struct config *cfg, const struct limit_req *q, int *attempts,
	   struct limit_hit *hit)
{
	const char *phone = q->phone;
	const struct config_country *cc = config_country(cfg, phone, q->calling_code, 0);
	const int paid = !(q->how & LIMIT_INBOUND), wait = paid && !(q->how & LIMIT_UNDELIVERED);
	/*
	 * Most specific first: the reason logged is the nearest.  The
	 * cooldown is per phone, whoever asks: against one number bombed from
	 * many addresses.  Its price: a 429 tells that somebody asked for a
	 * code for that number in the last RESEND_AFTER seconds.
	 */
	const struct limit limits[] = {
	    /* Texts only: an inbound start sent nothing to wait for. */
	    {SCOPE_TEXTS, phone, 1, wait ? cfg->resend_after : 0, "RESEND_AFTER", "cooldown", 0, 0},
	    {SCOPE_PHONE, phone, cfg->phone_send_limit, cfg->phone_send_window, "PHONE_SEND_LIMIT",
	     "phone", 0, 0},
	    /* Many addresses can each stay under IP_SEND_LIMIT: a day's cap per number. */
	    {SCOPE_PHONE, phone, cfg->phone_daily_limit, OTP_PHONE_DAY_WINDOW, "PHONE_DAILY_LIMIT",
	     "phone", 0, 0},
	    {SCOPE_FAILURES, phone, cfg->phone_failure_limit, OTP_FAILURE_WINDOW,
	     "PHONE_FAILURE_LIMIT", "guesses", 0, 1},
	    {SCOPE_CLIENT, q->client, cfg->ip_send_limit, OTP_CLIENT_WINDOW, "IP_SEND_LIMIT",
	     "client", 0, 0},
	    {SCOPE_COUNTRY, cc != NULL ? cc->code : "", cc != NULL && paid ? cc->hourly : 0,
	     OTP_COUNTRY_WINDOW, "COUNTRY_HOURLY_LIMITS", "country", 0, 0},
	    {SCOPE_ALL, NULL, paid ? cfg->hourly_send_limit : 0, OTP_HOUR, "HOURLY_SEND_LIMIT",
	     "cap", 1, 0},
	    {SCOPE_ALL, NULL, paid ? cfg->daily_send_limit : 0, OTP_DAY, "DAILY_SEND_LIMIT", "cap",
	     1, 0},
	};
	struct store_send send = {phone,     q->client, cc != NULL ? cc->code : "",
				  q->prefix, q->cc,     !paid};
	time_t until;
	size_t i;
	int rc;

	memset(hit, 0, sizeof(*hit));
	*attempts = 0;
	/* An inbound start costs nothing: no block or breaker stands in its way. */
	if (paid && (rc = limit_blocked(st, q, hit)) != 0)
		return rc;
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if ((rc = limit_one(st, &limits[i], q->now, hit)) != 0)
			return rc;
	if (paid && ((rc = limit_conversion(st, cfg, q, hit)) != 0 ||
		     (rc = limit_spend(st, cfg, q, hit)) != 0))
		return rc;
	/*
	 * No new code resets the wrong-try count of the number's live codes
	 * (NIST SP 800-63B rev. 4): the new one starts from the highest, and
	 * none is sent while one of them is locked.
	 */
	if (store_phone_attempts(st, phone, q->now, attempts, &until) < 0)
		return -1;
	if (*attempts >= cfg->max_attempts) {
		hit->name = "MAX_ATTEMPTS";
		hit->kind = "guesses";
		hit->guesses = 1;
		hit->retry_after = until > q->now ? (long)(until - q->now) : 1;
		return 429;
	}
	return store_add_send(st, q->now, &send) < 0 ? -1 : 0;
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
				"guesses",
				0,
				1};

	memset(hit, 0, sizeof(*hit));
	return limit_one(st, &l, now, hit);
}
