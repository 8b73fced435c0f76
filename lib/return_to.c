/*
 * The return_to policy.  RETURN_TO_ALLOWED lists where a verification
 * may hand its assertion back to; anything else would make request.cgi
 * an open redirect that carries a signed assertion with it.  A return_to
 * is checked against the list as text, so what a browser or a server
 * would make of that text differently is refused first: other hosts
 * ("//host", "/\\host"), dot segments that climb out of a prefix
 * ("/~alice/../~bob/"), also when percent-encoded or behind an encoded
 * slash ("/~alice/..%2F~bob/": servers that decode %2F see "../").
 */
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "kv.h"
#include "log.h"
#include "return_to.h"
#include "url.h"

/* Whether s (n bytes) may be part of a URL we send back: printable ASCII
 * without the characters that have no business in one. */
static int
return_to_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || strchr("\\\"<>`{}|^", s[i]) != NULL)
			return 0;
	return 1;
}

/* The length of the path separator at p: '/', '\\', or %2F or %5C in
 * either case (a server may decode them before it routes); else 0. */
static size_t
return_to_sep(const char *p)
{
	if (p[0] == '/' || p[0] == '\\')
		return 1;
	if (p[0] == '%' && ((p[1] == '2' && (p[2] == 'F' || p[2] == 'f')) ||
			    (p[1] == '5' && (p[2] == 'C' || p[2] == 'c'))))
		return 3;
	return 0;
}

/* The length of the dot at p: '.', or %2E in either case; else 0. */
static size_t
return_to_dot(const char *p)
{
	if (p[0] == '.')
		return 1;
	if (p[0] == '%' && p[1] == '2' && (p[2] == 'E' || p[2] == 'e'))
		return 3;
	return 0;
}

/*
 * Whether path (up to its '?' or '#') has a "." or ".." segment: a
 * browser resolves them before it follows a redirect, and a server after
 * it decodes, so "/~alice/../~bob/" would pass a "/~alice/" prefix and
 * land elsewhere.
 */
static int
return_to_dot_segments(const char *path)
{
	const char *p = path;
	int dots = 0, other = 0;
	size_t n = 0;

	for (;;) {
		int end = *p == '\0' || *p == '?' || *p == '#';

		if (end || (n = return_to_sep(p)) > 0) {
			if (!other && (dots == 1 || dots == 2))
				return 1;
			if (end)
				return 0;
			dots = other = 0;
			p += n;
		} else if ((n = return_to_dot(p)) > 0) {
			dots++;
			p += n;
		} else {
			other = 1;
			p++;
		}
	}
}

/* Add entry (n bytes, NUL-terminated, ours now) to pol.  Returns 0, or -1
 * for an entry that is neither a path prefix nor an https URL prefix. */
static int
return_to_add(struct return_to_policy *pol, char *entry, size_t n)
{
	struct url_authority a;
	size_t used, on;

	if (!return_to_chars(entry, n))
		return -1;
	if (entry[0] == '/') {
		if (n > 1 && (entry[1] == '/' || entry[1] == '\\'))
			return -1;
		pol->paths = 1;
	} else {
		/* The host must end with '/': "https://a.example" would allow
		 * "https://a.example.evil.example".  https only: the assertion
		 * travels in the URL. */
		if (url_authority(entry, &a) < 0 || !url_is_scheme(&a, "https") || a.rest[0] != '/')
			return -1;
		used = pol->form_origins != NULL ? strlen(pol->form_origins) : 0;
		on = (size_t)(a.rest - entry);
		pol->form_origins = xrealloc(pol->form_origins, used + 1 + on + 1);
		pol->form_origins[used] = ' ';
		memcpy(pol->form_origins + used + 1, entry, on);
		pol->form_origins[used + 1 + on] = '\0';
	}
	pol->prefixes = xrealloc(pol->prefixes, (pol->nprefixes + 1) * sizeof(*pol->prefixes));
	pol->prefixes[pol->nprefixes++] = entry;
	return 0;
}

int
return_to_parse(struct return_to_policy *pol, const char *allowed)
{
	const char *p = allowed != NULL ? allowed : "", *it;
	size_t n;

	memset(pol, 0, sizeof(*pol));
	while ((n = kv_list_next(&p, &it)) > 0) {
		char *entry = xstrndup(it, n);

		if (return_to_add(pol, entry, n) < 0) {
			free(entry);
			return_to_free(pol);
			return -1;
		}
	}
	return 0;
}

int
return_to_ok(const struct return_to_policy *pol, const char *r)
{
	struct url_authority a;
	const char *path = r;
	size_t len = strlen(r), i;

	if (len == 0 || len > OTP_RETURN_MAX || !return_to_chars(r, len))
		return 0;
	if (r[0] == '/') {
		/* "//host" and "/\\host" are other hosts to a browser. */
		if (r[1] == '/' || r[1] == '\\')
			return 0;
	} else {
		if (url_authority(r, &a) < 0)
			return 0;
		path = a.rest;
	}
	if (return_to_dot_segments(path))
		return 0;
	for (i = 0; i < pol->nprefixes; i++)
		if (strncmp(r, pol->prefixes[i], strlen(pol->prefixes[i])) == 0)
			return 1;
	/* Any path on this site, unless the list names the paths allowed. */
	return r[0] == '/' && !pol->paths;
}

void
return_to_free(struct return_to_policy *pol)
{
	size_t i;

	for (i = 0; i < pol->nprefixes; i++)
		free(pol->prefixes[i]);
	free(pol->prefixes);
	free(pol->form_origins);
	memset(pol, 0, sizeof(*pol));
}
