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

#define HOUR 3600
#define DAY  86400

int
limit_country_allowed(const struct config *cfg, const char *phone)
{
	return cfg->all_countries || config_country(cfg, phone, 1) != NULL;
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

/*
 * One limit: at most max rows of scope/key in the last window seconds.
 * Returns 0 when under it, 429 with *retry_after when at it, -1 on error.
 */
static int
limit_one(struct store *st, enum store_scope scope, const char *key, long max, long window,
	  time_t now, long *retry_after)
{
	struct store_count c;

	if (store_count(st, scope, key, now - window, &c) < 0)
		return -1;
	if (c.n < max)
		return 0;
	*retry_after = (long)(c.oldest + window - now);
	if (*retry_after < 1)
		*retry_after = 1;
	return 429;
}

int
limit_send(struct store *st, const struct config *cfg, const char *phone, const char *client,
	   time_t now, long *retry_after, const char **why)
{
	const struct config_country *cc = config_country(cfg, phone, 0);
	int rc;

	*retry_after = 0;
	/* Cheapest and most specific first: the reason logged is the nearest. */
	if (cfg->resend_after > 0 &&
	    (rc = limit_one(st, SCOPE_PHONE, phone, 1, cfg->resend_after, now, retry_after)) != 0) {
		*why = "resend cooldown";
		return rc;
	}
	if ((rc = limit_one(st, SCOPE_PHONE, phone, cfg->phone_send_limit, cfg->phone_send_window,
			    now, retry_after)) != 0) {
		*why = "PHONE_SEND_LIMIT";
		return rc;
	}
	if ((rc = limit_one(st, SCOPE_FAILURES, phone, cfg->phone_failure_limit, HOUR, now,
			    retry_after)) != 0) {
		*why = "PHONE_FAILURE_LIMIT";
		return rc;
	}
	if ((rc = limit_one(st, SCOPE_CLIENT, client, cfg->ip_send_limit, HOUR, now,
			    retry_after)) != 0) {
		*why = "IP_SEND_LIMIT";
		return rc;
	}
	if (cc != NULL && cc->hourly > 0 &&
	    (rc = limit_one(st, SCOPE_COUNTRY, cc->code, cc->hourly, HOUR, now, retry_after)) !=
		0) {
		*why = "COUNTRY_HOURLY_LIMITS";
		return rc;
	}
	if ((rc = limit_one(st, SCOPE_ALL, NULL, cfg->hourly_send_limit, HOUR, now, retry_after)) !=
	    0) {
		*why = "HOURLY_SEND_LIMIT";
		return rc;
	}
	if ((rc = limit_one(st, SCOPE_ALL, NULL, cfg->daily_send_limit, DAY, now, retry_after)) !=
	    0) {
		*why = "DAILY_SEND_LIMIT";
		return rc;
	}
	*why = NULL;
	return store_add_send(st, now, phone, client, cc != NULL ? cc->code : "") < 0 ? -1 : 0;
}

int
limit_guess(struct store *st, const struct config *cfg, const char *phone, time_t now,
	    long *retry_after)
{
	*retry_after = 0;
	return limit_one(st, SCOPE_FAILURES, phone, cfg->phone_failure_limit, HOUR, now,
			 retry_after);
}
