/*
 * Taking a URL's authority apart: the one parser of "scheme://host[:port]"
 * that the origin check, SITE_ORIGIN, API_BASE_URL and the return_to
 * prefixes go through, so that none of them reads a host differently.
 */
#ifndef OTP_URL_H
#define OTP_URL_H

#include <stddef.h>

/* Pointers into the parsed text: nothing is copied, nothing to free. */
struct url_authority {
	const char *scheme; /* "https" (scheme_len bytes, as written), or NULL */
	size_t scheme_len;
	const char *host; /* "a.example", "127.0.0.1", "[::1]" (host_len bytes) */
	size_t host_len;
	int port;         /* 1 to 65535, or 0 when none is written */
	const char *rest; /* what follows the authority: "", "/path?q#f", "?q", "#f" */
};

/*
 * Parse url: a scheme (a letter, then letters, digits, '+', '-', '.'),
 * "://", host[:port] as url_host() takes it, up to the first '/', '?',
 * '#' or the end.  Returns 0 with a filled in, or -1 when url is no such
 * URL; userinfo ("a@host") is refused, never skipped.
 */
int url_authority(const char *url, struct url_authority *a);

/*
 * Parse the len bytes at s as host[:port] alone (an HTTP Host header):
 * a host name of letters, digits, '-', '.', '_' and '~', or an IPv6
 * literal in brackets, at most OTP_HOST_MAX long, then optionally ':'
 * and 1 to 5 digits from 1 to 65535.  Returns 0 with a filled in
 * (scheme NULL, rest at s + len), or -1: an empty host, '@' or any other
 * character, an empty or out-of-range port.
 */
int url_host(const char *s, size_t len, struct url_authority *a);

/* Whether a's scheme is exactly s (case matters: "https" is not "HTTPS"). */
int url_is_scheme(const struct url_authority *a, const char *s);

/* a's port, or when none is written its scheme's (http 80, https 443; else 0). */
int url_port(const struct url_authority *a);

/*
 * Whether a and b name the same origin: scheme and host equal without
 * regard to case, and the same port once defaults are filled in
 * ("https://a.example:443" is "https://A.example").  What follows the
 * authority is not looked at.
 */
int url_same_origin(const struct url_authority *a, const struct url_authority *b);

#endif
