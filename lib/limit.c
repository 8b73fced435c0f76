/*
 * The abuse limits.  Each is a count of rows in the store over a sliding
 * window; when one is reached the answer is 429 with the seconds until
 * its oldest counted row leaves the window.  The numbers and defaults
 * follow what the verification services ship (see the README).  Which
 * countries may be texted, and which may verify by an inbound text, are
 * here too: the config only holds the lists.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "kv.h"
#include "limit.h"
#include "phone.h"
#include "log.h"

const struct config_country *
limit_country(const struct config *cfg, const char *phone, int calling_code, int allowed_only)
{
	const struct config_country *best = NULL;
	char cc[16];
	int i;

	snprintf(cc, sizeof(cc), "+%d", calling_code);
	for (i = 0; i < cfg->ncountries; i++) {
		const struct config_country *c = &cfg->countries[i];
		size_t n = strlen(c->code);

		if ((allowed_only && !c->allowed) || strncmp(phone, c->code, n) != 0)
			continue;
		/* "+35" is no calling code, and no part of +353's. */
		if (calling_code > 0 && (n < strlen(cc) || strncmp(c->code, cc, strlen(cc)) != 0))
			continue;
		if (best == NULL || n > strlen(best->code))
			best = c;
	}
	return best;
}

int
limit_country_allowed(const struct config *cfg, const char *phone, int calling_code)
{
	return cfg->all_countries || limit_country(cfg, phone, calling_code, 1) != NULL;
}

/* Whether phone (calling code calling_code, 0: not known) is in the list
 * of calling codes p, or in COUNTRY_CODE's when p is NULL. */
static int
limit_in_codes(const struct config *cfg, const char *p, const char *phone, int calling_code)
{
	const char *item;
	char cc[16];
	size_t n, ccn;

	if (p == NULL)
		p = cfg->country_code;
	ccn = (size_t)snprintf(cc, sizeof(cc), "+%d", calling_code);
	while ((n = kv_list_next(&p, &item)) > 0) {
		if (strncmp(phone, item, n) != 0)
			continue;
		/* As limit_country(): "+35" is no calling code, and no part of +353's. */
		if (calling_code > 0 && (n < ccn || strncmp(item, cc, ccn) != 0))
			continue;
		return 1;
	}
	return 0;
}

int
limit_inbound_allowed(const struct config *cfg, const char *phone, int calling_code)
{
	return (cfg->channels & CHANNEL_INBOUND) &&
	       limit_in_codes(cfg, cfg->inbound_country_codes, phone, calling_code);
}

int
limit_voice_allowed(const struct config *cfg, const char *phone, int calling_code, int type)
{
	return (cfg->channels & CHANNEL_VOICE) && type >= 0 && type < PHONE_TYPE__MAX &&
	       (cfg->voice_line_types & (1u << type)) &&
	       limit_in_codes(cfg, cfg->voice_country_codes, phone, calling_code);
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

void
limit_net_key(const char *remote_addr, char *out, size_t size)
{
	unsigned char a[16];
	char buf[INET6_ADDRSTRLEN];

	if (remote_addr != NULL && inet_pton(AF_INET, remote_addr, a) == 1) {
		snprintf(out, size, "%u.%u.%u.0/24", a[0], a[1], a[2]);
		return;
	}
	if (remote_addr != NULL && inet_pton(AF_INET6, remote_addr, a) == 1) {
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
			snprintf(out, size, "%u.%u.%u.0/24", a[12], a[13], a[14]);
			return;
		}
		memset(a + 6, 0, 10);
		if (inet_ntop(AF_INET6, a, buf, sizeof(buf)) != NULL) {
			snprintf(out, size, "%s/48", buf);
			return;
		}
	}
	snprintf(out, size, "-");
}

/* One limit: at most max rows of a scope (key, and net for the SCOPE_NET_
 * ones) in a window of seconds. */
struct limit {
	enum store_scope scope;
	const char *key, *net;
	long max, window;
	const char *name, *kind;
	int budget, guesses, everyone; /* as in struct limit_hit */
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
	if (store_count(st, l->scope, l->key, l->net, now - l->window, &c) < 0)
		return -1;
	if (c.n < l->max)
		return 0;
	hit->name = l->name;
	hit->kind = l->kind;
	hit->budget = l->budget;
	hit->guesses = l->guesses;
	hit->everyone = l->everyone;
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

int
limit_calls_left(struct store *st, const struct config *cfg, const char *phone, time_t now)
{
	struct store_count c;

	if (store_count(st, SCOPE_CALLS, phone, NULL, now - OTP_PHONE_DAY_WINDOW, &c) < 0)
		return -1;
	return c.n < cfg->voice_phone_limit;
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
	hit->everyone = 1;
	hit->name = hit->conversion_block ? "CONVERSION_MIN" : "otp-admin block";
	hit->kind = hit->conversion_block ? "conversion" : "blocked";
	hit->retry_after = b.until > q->now ? (long)(b.until - q->now) : 1;
	return 429;
}

/*
 * The conversion breaker: a prefix whose texts are not verified is being
 * pumped (bots make the site text numbers no person reads).  It weighs
 * evidence from many sources only: the texts of a few networks are the
 * per-client and per-number limits' business, and a block on their word
 * alone would let one attacker shut a whole exchange.
 *  - A text is judged once its code had CONVERSION_GRACE seconds to
 *    be typed: when CONVERSION_MIN_SENDS were, fewer than CONVERSION_MIN
 *    of them verified, and those not verified were asked for from
 *    CONVERSION_MIN_CLIENTS networks or more, the prefix is blocked (the
 *    caller records it) for CONVERSION_BLOCK seconds.
 *  - Until then a wave is held back, not blocked: twice
 *    CONVERSION_MIN_SENDS texts not yet judged and not verified, from as
 *    many networks, and the prefix waits until they can be judged.  A
 *    burst of real sign-ups, each typing its code, never gets there.
 * enforce: 429; monitor: one log line, no refusal.
 */
static int
limit_conversion(struct store *st, const struct config *cfg, const struct limit_req *q,
		 struct limit_hit *hit)
{
	struct store_conversion c;
	int block, hold;

	if (cfg->conversion_mode == CONVERSION_OFF || q->prefix == NULL || q->prefix[0] == '\0')
		return 0;
	/* With no grace every text is judged, those a concurrent request
	 * stamped a second later than this one's clock too: counted exactly. */
	if (store_conversion(st, q->prefix, q->now - cfg->conversion_window,
			     cfg->conversion_grace > 0 ? q->now - cfg->conversion_grace
						       : q->now + OTP_DAY,
			     &c) < 0)
		return -1;
	/* verified / sends < CONVERSION_MIN, in whole numbers. */
	block = c.sends >= cfg->conversion_min_sends && c.nets >= cfg->conversion_min_clients &&
		(long long)c.verified * 1000000 < cfg->conversion_min * (long long)c.sends;
	hold = !block && c.fresh >= 2L * cfg->conversion_min_sends &&
	       c.fresh_nets >= cfg->conversion_min_clients;
	if (!block && !hold)
		return 0;
	if (cfg->conversion_mode == CONVERSION_MONITOR) {
		log_msg(
		    "WARNING: CONVERSION_MODE=monitor: a send to %s would be refused: %ld of %ld "
		    "codes verified in %d s, %ld not yet judged, from %ld networks "
		    "(CONVERSION_MIN %s)",
		    q->prefix, c.verified, c.sends, cfg->conversion_window, c.fresh,
		    block ? c.nets : c.fresh_nets, cfg->conversion_min_text);
		return 0;
	}
	hit->name = "CONVERSION_MIN";
	hit->kind = "conversion";
	hit->everyone = 1;
	hit->start_block = block;
	hit->sends = block ? c.sends : c.fresh;
	hit->verified = c.verified;
	hit->nets = block ? c.nets : c.fresh_nets;
	hit->retry_after = block ? cfg->conversion_block : cfg->conversion_grace;
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
			cfg->sms_price * cfg->message_parts, cfg->voice_price, &spent) < 0)
		return -1;
	if (spent < cfg->spend_limit)
		return 0;
	hit->name = "DAILY_SPEND_LIMIT";
	hit->kind = "budget";
	hit->budget = 1;
	hit->everyone = 1;
	hit->retry_after = limit_day_left(q->now);
	return 429;
}

/* The calls to one number a day one network may ask for: all but one of
 * VOICE_PHONE_LIMIT (all of 1). */
static long
limit_voice_net_share(const struct config *cfg)
{
	return cfg->voice_phone_limit > 1 ? cfg->voice_phone_limit - 1 : 1;
}

int
limit_send(struct store *st, const struct config *cfg, const struct limit_req *q, int *attempts,
	   struct limit_hit *hit)
{
	const char *phone = q->phone, *net = q->net;
	const struct config_country *cc = limit_country(cfg, phone, q->calling_code, 0);
	const int paid = !(q->how & LIMIT_INBOUND), wait = paid && !(q->how & LIMIT_UNDELIVERED);
	const int voice = paid && (q->how & LIMIT_VOICE);
	/*
	 * Most specific first: the reason logged is the nearest.  What one
	 * network asks for a number counts against that network (the
	 * cooldown, PHONE_SEND_LIMIT, PHONE_NETWORK_LIMIT, the wrong codes),
	 * under caps per number whoever asks (PHONE_DAILY_LIMIT: the most
	 * texts a phone gets in a day, against SMS bombing; OTP_FAILURE_CAP).
	 * An inbound start sends nothing and costs nothing: it takes none of
	 * the number's texts, and is counted apart.
	 */
	const struct limit texts[] = {
	    {voice ? SCOPE_NET_CALL_TRIES : SCOPE_NET_SMS, phone, net, 1,
	     wait ? cfg->resend_after : 0, "RESEND_AFTER", "cooldown", 0, 0, 0},
	    {SCOPE_NET_TEXTS, phone, net, cfg->phone_send_limit, cfg->phone_send_window,
	     "PHONE_SEND_LIMIT", "phone", 0, 0, 1},
	    {SCOPE_NET_TEXTS, phone, net, cfg->phone_network_limit, OTP_PHONE_DAY_WINDOW,
	     "PHONE_NETWORK_LIMIT", "phone", 0, 0, 1},
	    {SCOPE_NET_FAILURES, phone, net, cfg->phone_failure_limit, OTP_FAILURE_WINDOW,
	     "PHONE_FAILURE_LIMIT", "guesses", 0, 1, 0},
	    {SCOPE_CLIENT, q->client, NULL, cfg->ip_send_limit, OTP_CLIENT_WINDOW, "IP_SEND_LIMIT",
	     "client", 0, 0, 0},
	    /* A network of many addresses (a /24, a /48's 65,536 /64s) is
	     * one asker for the texts nobody verified: the breaker does not
	     * count it as many.  Like the number's limits per network, it
	     * holds for every visitor of a network others may share (a
	     * carrier's NAT): the inbound way is offered. */
	    {SCOPE_NET_UNVERIFIED, net, NULL, cfg->network_send_limit, OTP_CLIENT_WINDOW,
	     "NETWORK_SEND_LIMIT", "client", 0, 0, 1},
	    {SCOPE_TEXTS, phone, NULL, cfg->phone_daily_limit, OTP_PHONE_DAY_WINDOW,
	     "PHONE_DAILY_LIMIT", "phone", 0, 0, 1},
	    /* Calls also count in every limit above: texts and calls are one
	     * number's sends.  A call stopped here leaves the texts.  One
	     * network takes at most all but one of the number's calls of a
	     * day, as PHONE_NETWORK_LIMIT is below PHONE_DAILY_LIMIT: no one
	     * network uses them up for the others (a fixed line has no
	     * other way). */
	    {SCOPE_NET_CALLS, phone, net, voice ? limit_voice_net_share(cfg) : 0,
	     OTP_PHONE_DAY_WINDOW, "VOICE_PHONE_LIMIT", "phone", 0, 0, 1},
	    {SCOPE_CALLS, phone, NULL, voice ? cfg->voice_phone_limit : 0, OTP_PHONE_DAY_WINDOW,
	     "VOICE_PHONE_LIMIT", "phone", 0, 0, 1},
	    {SCOPE_FAILURES, phone, NULL, OTP_FAILURE_CAP, OTP_FAILURE_WINDOW, "OTP_FAILURE_CAP",
	     "guesses", 0, 1, 1},
	    {SCOPE_COUNTRY, cc != NULL ? cc->code : "", NULL, cc != NULL ? cc->hourly : 0,
	     OTP_COUNTRY_WINDOW, "COUNTRY_HOURLY_LIMITS", "country", 0, 0, 1},
	    {SCOPE_ALL, NULL, NULL, cfg->hourly_send_limit, OTP_HOUR, "HOURLY_SEND_LIMIT", "cap", 1,
	     0, 1},
	    {SCOPE_ALL, NULL, NULL, cfg->daily_send_limit, OTP_DAY, "DAILY_SEND_LIMIT", "cap", 1, 0,
	     1},
	};
	/* Inbound: per number and network (at most OTP_INBOUND_NET_LIVE live),
	 * per client, and at most OTP_INBOUND_LIVE live for a number
	 * (webhook.cgi reads them all): 128 networks to fill it.
	 * Not OTP_FAILURE_CAP: the wrong codes of others' verifications
	 * would close the way through that the phone itself proves. */
	const struct limit inbound[] = {
	    {SCOPE_NET_INBOUND, phone, net, cfg->phone_send_limit, cfg->phone_send_window,
	     "PHONE_SEND_LIMIT", "phone", 0, 0, 0},
	    {SCOPE_NET_INBOUND, phone, net, OTP_INBOUND_NET_LIVE, cfg->token_ttl,
	     "OTP_INBOUND_NET_LIVE", "phone", 0, 0, 0},
	    {SCOPE_NET_FAILURES, phone, net, cfg->phone_failure_limit, OTP_FAILURE_WINDOW,
	     "PHONE_FAILURE_LIMIT", "guesses", 0, 1, 0},
	    {SCOPE_CLIENT_INBOUND, q->client, NULL, cfg->ip_send_limit, OTP_CLIENT_WINDOW,
	     "IP_SEND_LIMIT", "client", 0, 0, 0},
	    {SCOPE_INBOUND, phone, NULL, OTP_INBOUND_LIVE, cfg->token_ttl, "OTP_INBOUND_LIVE",
	     "phone", 0, 0, 0},
	};
	const struct limit *limits = paid ? texts : inbound;
	const size_t nlimits =
	    paid ? sizeof(texts) / sizeof(texts[0]) : sizeof(inbound) / sizeof(inbound[0]);
	struct store_send send = {
	    phone,     q->client, cc != NULL ? cc->code : "",
	    q->prefix, q->cc,     !paid ? WAY_INBOUND : voice ? WAY_VOICE : WAY_SMS,
	    net};
	time_t until;
	size_t i;
	int rc;

	memset(hit, 0, sizeof(*hit));
	*attempts = 0;
	/* An inbound start costs nothing: no block or breaker stands in its way. */
	if (paid && (rc = limit_blocked(st, q, hit)) != 0)
		return rc;
	for (i = 0; i < nlimits; i++)
		if ((rc = limit_one(st, &limits[i], q->now, hit)) != 0)
			return rc;
	if (paid && ((rc = limit_conversion(st, cfg, q, hit)) != 0 ||
		     (rc = limit_spend(st, cfg, q, hit)) != 0))
		return rc;
	/*
	 * No new code resets the wrong-try count of the live codes asked from
	 * this network (NIST SP 800-63B rev. 4): the new one starts from the
	 * highest, and none is sent while one of them is locked.  Another
	 * network's guesses are not this visitor's to pay for.
	 */
	if (store_phone_attempts(st, phone, net, q->now, attempts, &until) < 0)
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
limit_guess(struct store *st, const struct config *cfg, const char *phone, const char *net,
	    time_t now, struct limit_hit *hit)
{
	const struct limit l[] = {
	    {SCOPE_NET_FAILURES, phone, net, cfg->phone_failure_limit, OTP_FAILURE_WINDOW,
	     "PHONE_FAILURE_LIMIT", "guesses", 0, 1, 0},
	    {SCOPE_FAILURES, phone, NULL, OTP_FAILURE_CAP, OTP_FAILURE_WINDOW, "OTP_FAILURE_CAP",
	     "guesses", 0, 1, 1},
	};
	size_t i;
	int rc;

	memset(hit, 0, sizeof(*hit));
	for (i = 0; i < sizeof(l) / sizeof(l[0]); i++)
		if ((rc = limit_one(st, &l[i], now, hit)) != 0)
			return rc;
	return 0;
}

void
limit_lockouts(const struct config *cfg, struct limit_lockout out[LIMIT_LOCKOUTS])
{
	/* The rows of limit_send()'s and limit_guess()'s tables that lock a
	 * number out (for one network, or for all), and MAX_ATTEMPTS. */
	const struct limit_lockout all[LIMIT_LOCKOUTS] = {
	    [LOCK_NET_FAILURES] = {LOCK_NET_FAILURES, "PHONE_FAILURE_LIMIT",
				   cfg->phone_failure_limit, OTP_FAILURE_WINDOW},
	    [LOCK_FAILURES] = {LOCK_FAILURES, "OTP_FAILURE_CAP", OTP_FAILURE_CAP,
			       OTP_FAILURE_WINDOW},
	    [LOCK_CODE] = {LOCK_CODE, "MAX_ATTEMPTS", cfg->max_attempts, 0},
	    [LOCK_NET_TEXTS] = {LOCK_NET_TEXTS, "PHONE_NETWORK_LIMIT", cfg->phone_network_limit,
				OTP_PHONE_DAY_WINDOW},
	    [LOCK_TEXTS] = {LOCK_TEXTS, "PHONE_DAILY_LIMIT", cfg->phone_daily_limit,
			    OTP_PHONE_DAY_WINDOW},
	};

	_Static_assert(LOCK_TEXTS + 1 == LIMIT_LOCKOUTS, "a lockout kind without its limit");
	memcpy(out, all, sizeof(all));
}
