/*
 * The CGI side of the programs: what the web server hands over (RFC 3875
 * variables and body), form decoding against a table of fields, cookies,
 * the origin check and the response headers.  The variables are read from
 * the request's own list (struct cgi_req's env: the environment under CGI,
 * the request's parameters under FastCGI), never with getenv(), so that a
 * FastCGI process keeps its own environment for itself (libcurl's proxy
 * variables, libpq's).  Nothing here trusts the list to be complete:
 * lighttpd passes no PATH, and HTTPS, HTTP_COOKIE or CONTENT_TYPE may be
 * missing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgi.h"
#include "code.h"
#include "bounds.h"
#include "log.h"
#include "url.h"

const char *
cgi_param(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* The request's variable name, with empty values and values over max bytes treated as absent. */
static const char *
cgi_env(const struct cgi_req *req, const char *name, size_t max)
{
	const char *v = cgi_param(req->env, name);

	if (v == NULL || *v == '\0' || strlen(v) > max)
		return NULL;
	return v;
}

/*
 * As cgi_env() for Origin and Referer, except that one too long to look
 * at is not left out: it names no host we know, and "" makes
 * cgi_same_origin() refuse it.
 */
static const char *
cgi_env_origin(const struct cgi_req *req, const char *name)
{
	const char *v = cgi_param(req->env, name);

	if (v == NULL || *v == '\0')
		return NULL;
	return strlen(v) > OTP_HEADER_MAX ? "" : v;
}

/* Read and drop n bytes of in.  Returns the number read. */
static size_t
cgi_drain(FILE *in, size_t n)
{
	char buf[8192];
	size_t got = 0, r;

	while (got < n) {
		r = fread(buf, 1, n - got < sizeof(buf) ? n - got : sizeof(buf), in);
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

/*
 * The body: exactly CONTENT_LENGTH bytes, kept up to body_max, more
 * drained up to OTP_DRAIN_MAX; a problem goes into req->read_status.
 */
static void
cgi_read_body(struct cgi_req *req, FILE *in, size_t body_max)
{
	const char *cl;
	unsigned long long want;
	char *end;
	size_t got;

	if ((cl = cgi_env(req, "CONTENT_LENGTH", OTP_HEADER_MAX)) == NULL)
		return;
	errno = 0;
	want = strtoull(cl, &end, 10);
	if (!isdigit((unsigned char)cl[0]) || *end != '\0' || errno != 0) {
		req->read_status = 400;
		return;
	}
	if (want > body_max) {
		/* Read what a client may reasonably send, then give up. */
		cgi_drain(in, want > OTP_DRAIN_MAX ? OTP_DRAIN_MAX : (size_t)want);
		req->read_status = 413;
		return;
	}
	req->body = xmalloc((size_t)want + 1);
	got = 0;
	while (got < want) {
		size_t r = fread(req->body + got, 1, (size_t)want - got, in);

		if (r == 0)
			break;
		got += r;
	}
	req->body[got] = '\0';
	req->body_len = got;
	if (got < want)
		req->read_status = 400;
}

void
cgi_read(struct cgi_req *req, char *const *env, FILE *in)
{
	cgi_read_max(req, env, in, OTP_BODY_MAX);
}

void
cgi_read_max(struct cgi_req *req, char *const *env, FILE *in, size_t body_max)
{
	const char *m, *https, *q;
	int query_long;

	memset(req, 0, sizeof(*req));
	req->env = env;
	m = cgi_env(req, "REQUEST_METHOD", OTP_HEADER_MAX);
	req->method = m == NULL            ? CGI_OTHER
		      : !strcmp(m, "GET")  ? CGI_GET
		      : !strcmp(m, "POST") ? CGI_POST
					   : CGI_OTHER;
	https = cgi_env(req, "HTTPS", OTP_HEADER_MAX);
	req->https = https != NULL && (!strcasecmp(https, "on") || !strcmp(https, "1"));
	req->content_type = cgi_env(req, "CONTENT_TYPE", OTP_HEADER_MAX);
	req->host = cgi_env(req, "HTTP_HOST", OTP_HEADER_MAX);
	req->origin = cgi_env_origin(req, "HTTP_ORIGIN");
	req->referer = cgi_env_origin(req, "HTTP_REFERER");
	/* Sites' own cookies can be large: the cookie has a cap of its own. */
	req->cookie = cgi_env(req, "HTTP_COOKIE", OTP_COOKIE_MAX);
	req->query = cgi_env(req, "QUERY_STRING", OTP_QUERY_MAX);
	/* Left out, the query would lose return_to without a word: 414 instead. */
	query_long = (q = cgi_param(env, "QUERY_STRING")) != NULL && strlen(q) > OTP_QUERY_MAX;
	req->script_name = cgi_env(req, "SCRIPT_NAME", OTP_HEADER_MAX);
	req->remote_addr = cgi_env(req, "REMOTE_ADDR", OTP_HEADER_MAX);
	req->accept = cgi_env(req, "HTTP_ACCEPT", OTP_HEADER_MAX);
	req->accept_language = cgi_env(req, "HTTP_ACCEPT_LANGUAGE", OTP_HEADER_MAX);

	cgi_read_body(req, in, body_max);
	/* The request line comes before the body: its 414 wins over a 413. */
	if (query_long)
		req->read_status = 414;
}

void
cgi_free(struct cgi_req *req)
{
	free(req->body);
	req->body = NULL;
}

/* A port written as 80 or 443 counts as none: the Host header does not
 * say which scheme it came with. */
static int
cgi_fold_port(int port)
{
	return port == 80 || port == 443 ? 0 : port;
}

int
cgi_same_origin(const char *host, const char *origin, const char *referer)
{
	struct url_authority a, h;
	const char *url = origin != NULL ? origin : referer;

	if (url == NULL)
		return 1;
	if (host == NULL || url_authority(url, &a) < 0 || url_host(host, strlen(host), &h) < 0)
		return 0;
	return a.host_len == h.host_len && strncasecmp(a.host, h.host, a.host_len) == 0 &&
	       cgi_fold_port(a.port) == cgi_fold_port(h.port);
}

/*
 * Whether a POST comes from site_origin (SITE_ORIGIN, already checked and
 * normalised): its Origin must be that origin exactly, or without one
 * its Referer's origin must.  A request with neither passes, as in
 * cgi_same_origin().  The Host header is not read: a page on a name that
 * the attacker points at this server (DNS rebinding) sends its own Host.
 */
static int
cgi_site_origin(const char *site_origin, const char *origin, const char *referer)
{
	struct url_authority s, a;
	const char *url = origin != NULL ? origin : referer;

	if (url == NULL)
		return 1;
	if (url_authority(site_origin, &s) < 0 || url_authority(url, &a) < 0)
		return 0;
	/* An Origin header is scheme://host[:port] and nothing more. */
	if (origin != NULL && a.rest[0] != '\0')
		return 0;
	return url_same_origin(&s, &a);
}

/* Whether content_type is application/x-www-form-urlencoded (any params). */
static int
cgi_is_form(const char *content_type)
{
	static const char form[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(form) - 1;

	if (content_type == NULL || strncasecmp(content_type, form, n) != 0)
		return 0;
	return content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ';
}

int
cgi_check(const struct cgi_req *req, const char *site_origin)
{
	if (req->method == CGI_OTHER)
		return 405;
	if (req->read_status != 0)
		return req->read_status;
	if (req->method != CGI_POST)
		return 0;
	if (!cgi_is_form(req->content_type))
		return 415;
	if (site_origin != NULL ? !cgi_site_origin(site_origin, req->origin, req->referer)
				: !cgi_same_origin(req->host, req->origin, req->referer))
		return 403;
	return 0;
}

static int
cgi_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
cgi_urldecode(const char *in, size_t len, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == '+') {
			out[n++] = ' ';
		} else if (in[i] == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = cgi_hexval(in[i + 1]);
			lo = cgi_hexval(in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[n++] = in[i];
		}
	}
	out[n] = '\0';
	return (long)n;
}

/* Whether s (n bytes) is UTF-8 without control characters or NULs. */
static int
cgi_text_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, more;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef)
			more = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			more = 3;
		else
			return 0;
		if (i + more >= n)
			return 0;
		for (k = 1; k <= more; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		/* Overlong three- and four-byte forms, surrogates, > U+10FFFF. */
		if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] > 0x8f))
			return 0;
		i += more + 1;
	}
	return 1;
}

int
cgi_form(const char *s, size_t len, const struct cgi_field *fields, size_t n, const void *arg,
	 char **values, size_t *bad)
{
	char name[64], *val = NULL, *raw;
	size_t pos = 0, pairs = 0, i, k;

	*bad = n;
	for (i = 0; i < n; i++)
		values[i] = NULL;
	if (s == NULL)
		return 0;
	val = xmalloc(OTP_FIELD_MAX * 3 + 1);
	while (pos < len) {
		const char *pair = s + pos, *amp = memchr(pair, '&', len - pos);
		size_t plen = (amp != NULL ? (size_t)(amp - pair) : len - pos);
		const char *eq = memchr(pair, '=', plen);
		size_t nlen = eq != NULL ? (size_t)(eq - pair) : plen;
		size_t vlen = eq != NULL ? plen - nlen - 1 : 0;
		long dn, dv;

		pos += plen + 1;
		if (plen == 0)
			continue;
		if (++pairs > OTP_FIELDS_MAX)
			goto bad;
		if (nlen >= sizeof(name) || vlen > OTP_FIELD_MAX * 3)
			goto bad;
		if ((dn = cgi_urldecode(pair, nlen, name)) < 0 ||
		    (dv = cgi_urldecode(eq != NULL ? eq + 1 : "", vlen, val)) < 0)
			goto bad;
		if (!cgi_text_ok((unsigned char *)name, (size_t)dn) ||
		    !cgi_text_ok((unsigned char *)val, (size_t)dv) || dv > OTP_FIELD_MAX)
			goto bad;
		for (i = 0; i < n; i++)
			if (!strcmp(name, fields[i].name))
				break;
		if (i == n)
			continue;
		if (values[i] != NULL)
			goto bad;
		values[i] = xstrndup(val, (size_t)dv);
	}
	free(val);
	for (i = 0; i < n; i++) {
		if (values[i] == NULL || fields[i].valid == NULL)
			continue;
		raw = xstrdup(values[i]);
		if (fields[i].valid(&values[i], arg)) {
			free(raw);
			continue;
		}
		/* Only the refused value is kept, as it came. */
		for (k = 0; k < n; k++) {
			free(values[k]);
			values[k] = NULL;
		}
		values[i] = raw;
		*bad = i;
		return 400;
	}
	return 0;
bad:
	for (i = 0; i < n; i++) {
		free(values[i]);
		values[i] = NULL;
	}
	free(val);
	return 400;
}

/*
 * The next cookie name in the Cookie header at *p: copies its value into
 * out (size bytes) and returns 1, returns -1 for one that is empty or too
 * long, or 0 when there is none left.  *p moves past what was looked at.
 */
static int
cgi_cookie_next(const char **p, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);

	while (**p != '\0') {
		const char *c, *v;
		size_t len, vlen;

		while (**p == ' ' || **p == ';')
			(*p)++;
		c = *p;
		len = strcspn(c, ";");
		*p += len;
		if (len <= nlen || strncmp(c, name, nlen) != 0 || c[nlen] != '=')
			continue;
		v = c + nlen + 1;
		vlen = len - nlen - 1;
		while (vlen > 0 && v[vlen - 1] == ' ')
			vlen--;
		if (vlen == 0 || vlen >= size)
			return -1;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		return 1;
	}
	return 0;
}

int
cgi_cookie(const char *header, const char *name, char *out, size_t size)
{
	if (header == NULL || size == 0)
		return 0;
	return cgi_cookie_next(&header, name, out, size) == 1;
}

void
cgi_script_dir(const char *script_name, char *out, size_t size)
{
	const char *slash;
	size_t n;

	if (script_name == NULL || script_name[0] != '/' ||
	    (slash = strrchr(script_name, '/')) == NULL ||
	    (n = (size_t)(slash - script_name) + 1) >= size ||
	    strspn(script_name,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._~-") < n) {
		snprintf(out, size, "/");
		return;
	}
	memcpy(out, script_name, n);
	out[n] = '\0';
}

const char *
cgi_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 303:
		return "See Other";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

/* Whether s may go into a header: no CR, LF or other control character. */
static int
cgi_header_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/*
 * Referrer-Policy is same-origin, not no-referrer: under no-referrer the
 * Fetch standard has browsers send "Origin: null" with our own forms'
 * POSTs, and cgi_same_origin() could then either refuse every browser or
 * accept null, which any page can send.  same-origin keeps the real
 * Origin for us and sends no referrer to anyone else.
 */
int
cgi_write(const struct cgi_reply *r, FILE *out)
{
	if ((r->set_cookie != NULL && !cgi_header_ok(r->set_cookie)) ||
	    (r->location != NULL && !cgi_header_ok(r->location)) ||
	    (r->content_type != NULL && !cgi_header_ok(r->content_type))) {
		log_msg("refusing a header with a control character");
		return -1;
	}
	if ((r->form_origins != NULL && !cgi_header_ok(r->form_origins)) ||
	    (r->set_cookie2 != NULL && !cgi_header_ok(r->set_cookie2))) {
		log_msg("refusing a header with a control character");
		return -1;
	}
	fprintf(out,
		"Status: %d %s\r\n"
		"Content-Type: %s\r\n"
		"Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
		"img-src data:; form-action 'self'%s; frame-ancestors 'none'; base-uri 'none'\r\n"
		"X-Content-Type-Options: nosniff\r\n"
		"X-Frame-Options: DENY\r\n"
		"Referrer-Policy: same-origin\r\n"
		"Cache-Control: no-store\r\n",
		r->status, cgi_reason(r->status),
		r->content_type != NULL ? r->content_type : "text/html; charset=utf-8",
		r->form_origins != NULL ? r->form_origins : "");
	if (r->status == 405)
		fprintf(out, "Allow: %s\r\n", r->allow != NULL ? r->allow : "GET, POST");
	if (r->retry_after > 0)
		fprintf(out, "Retry-After: %ld\r\n", r->retry_after);
	if (r->set_cookie != NULL)
		fprintf(out, "Set-Cookie: %s\r\n", r->set_cookie);
	if (r->set_cookie2 != NULL)
		fprintf(out, "Set-Cookie: %s\r\n", r->set_cookie2);
	if (r->location != NULL)
		fprintf(out, "Location: %s\r\n", r->location);
	fprintf(out, "Content-Length: %zu\r\n\r\n", r->body_len);
	if (r->body_len > 0)
		fwrite(r->body, 1, r->body_len, out);
	return fflush(out) == 0 ? 0 : -1;
}

int
cgi_vid(const struct cgi_req *req, const char *field, char out[OTP_ID_LEN + 1])
{
	const char *p;
	int rc;

	if (field != NULL && code_is_id(field)) {
		memcpy(out, field, OTP_ID_LEN + 1);
		return 1;
	}
	/* The first cookie that holds an id: a stale or planted "otp_vid=junk"
	 * (another path's, a sibling domain's) must not hide the real one. */
	p = req->cookie;
	while (p != NULL && (rc = cgi_cookie_next(&p, OTP_COOKIE, out, OTP_ID_LEN + 1)) != 0)
		if (rc == 1 && code_is_id(out))
			return 1;
	return 0;
}

int
cgi_vid_ok(char **field, const void *arg)
{
	(void)arg;
	if ((*field)[0] != '\0')
		return code_is_id(*field);
	free(*field);
	*field = NULL;
	return 1;
}

int
cgi_vid_cookie(const struct cgi_req *req, const char *id, char *out, size_t size)
{
	char path[256];
	int n;

	cgi_script_dir(req->script_name, path, sizeof(path));
	n = snprintf(out, size, "%s=%s; Path=%s;%s HttpOnly; SameSite=Strict%s", OTP_COOKIE,
		     id != NULL ? id : "", path, id != NULL ? "" : " Max-Age=0;",
		     req->https ? "; Secure" : "");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
