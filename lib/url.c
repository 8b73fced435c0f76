/*
 * The URL authority parser.  RFC 3986 section 3.2, cut down to what the
 * programs meet: no userinfo (in "http://127.0.0.1:80@evil.example" the
 * host is evil.example, and a check that reads it otherwise is fooled),
 * host names in the characters DNS and browsers use, IPv6 literals in
 * brackets, a numeric port.  Anything else is refused rather than
 * guessed at: every caller treats a refusal as "not this host".
 */
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "url.h"

static int
url_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
url_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Whether the n bytes at s are a host name, or an IPv6 literal "[...]". */
static int
url_host_ok(const char *s, size_t n)
{
	size_t i, colons = 0;

	if (n == 0 || n > OTP_HOST_MAX)
		return 0;
	if (s[0] == '[') {
		if (n < 4 || s[n - 1] != ']')
			return 0;
		for (i = 1; i < n - 1; i++) {
			if (s[i] == ':')
				colons++;
			else if (!url_is_digit(s[i]) &&
				 !((s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F') ||
				   s[i] == '.'))
				return 0;
		}
		return colons >= 2;
	}
	for (i = 0; i < n; i++)
		if (!url_is_alpha(s[i]) && !url_is_digit(s[i]) && s[i] != '-' && s[i] != '.' &&
		    s[i] != '_' && s[i] != '~')
			return 0;
	return 1;
}

int
url_host(const char *s, size_t len, struct url_authority *a)
{
	const char *colon = NULL, *end = s + len;
	size_t i;
	long port = 0;

	memset(a, 0, sizeof(*a));
	a->rest = end;
	/* The port's ':' is the last one, after an IPv6 literal's ']'. */
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL)
			return -1;
		if (close + 1 < end) {
			if (close[1] != ':')
				return -1;
			colon = close + 1;
		}
	} else
		colon = memchr(s, ':', len);
	a->host = s;
	a->host_len = colon != NULL ? (size_t)(colon - s) : len;
	if (!url_host_ok(a->host, a->host_len))
		return -1;
	if (colon == NULL)
		return 0;
	/* 1 to 5 digits from 1 to 65535: "host:" and "host:0" name no port. */
	if (end - (colon + 1) < 1 || end - (colon + 1) > 5)
		return -1;
	for (i = 1; colon + i < end; i++) {
		if (!url_is_digit(colon[i]))
			return -1;
		port = port * 10 + (colon[i] - '0');
	}
	if (port < 1 || port > 65535)
		return -1;
	a->port = (int)port;
	return 0;
}

int
url_authority(const char *url, struct url_authority *a)
{
	const char *p = url, *host;
	size_t scheme_len;

	if (!url_is_alpha(*p))
		return -1;
	while (url_is_alpha(*p) || url_is_digit(*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	scheme_len = (size_t)(p - url);
	if (strncmp(p, "://", 3) != 0)
		return -1;
	host = p + 3;
	if (url_host(host, strcspn(host, "/?#"), a) < 0)
		return -1;
	a->scheme = url;
	a->scheme_len = scheme_len;
	return 0;
}

int
url_is_scheme(const struct url_authority *a, const char *s)
{
	return a->scheme != NULL && a->scheme_len == strlen(s) &&
	       memcmp(a->scheme, s, a->scheme_len) == 0;
}

int
url_port(const struct url_authority *a)
{
	if (a->port != 0 || a->scheme == NULL)
		return a->port;
	if (a->scheme_len == 4 && strncasecmp(a->scheme, "http", 4) == 0)
		return 80;
	if (a->scheme_len == 5 && strncasecmp(a->scheme, "https", 5) == 0)
		return 443;
	return 0;
}

int
url_same_origin(const struct url_authority *a, const struct url_authority *b)
{
	return a->scheme != NULL && b->scheme != NULL && a->scheme_len == b->scheme_len &&
	       strncasecmp(a->scheme, b->scheme, a->scheme_len) == 0 &&
	       a->host_len == b->host_len && strncasecmp(a->host, b->host, a->host_len) == 0 &&
	       url_port(a) == url_port(b);
}
