/*
 * libFuzzer harness for the request body: cgi_read() with the environment
 * a web server sets and the body on a stream.  The first byte of the
 * input chooses REQUEST_METHOD, QUERY_STRING, how CONTENT_LENGTH relates
 * to the rest of the input (the body), and whether the stream goes on past
 * it; the second is a small number k for the choices that take one:
 *
 *	bits 0-2: CONTENT_LENGTH the body's length, larger by k, smaller by
 *		  k, the body's first line as it is ("12", "+1", "0x10", " 5"),
 *		  a number at or past a limit (OTP_BODY_MAX, OTP_DRAIN_MAX,
 *		  2^63, 2^64), unset, or longer than any header looked at;
 *	bits 3-4: REQUEST_METHOD POST, GET, PUT or unset;
 *	bits 5-6: QUERY_STRING unset, short, OTP_QUERY_MAX or one more;
 *	bit 7:	  after the body, OTP_DRAIN_MAX + k bytes more of 'p', so
 *		  that the drain of a large body has something to read.
 *
 * Checks: read_status is 0, 400, 413 or (for a query over OTP_QUERY_MAX
 * only) 414; the body is NUL-terminated, at most OTP_BODY_MAX and at most
 * CONTENT_LENGTH; the stream is never read past CONTENT_LENGTH (ftell),
 * nor at all without a well-formed one; a body shorter than CONTENT_LENGTH
 * is 400, one over OTP_BODY_MAX is 413 after draining exactly up to
 * OTP_DRAIN_MAX, a malformed CONTENT_LENGTH is 400; otherwise the body is
 * exactly what was sent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "bounds.h"

extern char **environ;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Numbers at and past the limits, for the "limit" mode; then some
 * written with more digits than 64 bits hold, fitting in them or not. */
static const unsigned long long limits[] = {
    OTP_BODY_MAX, OTP_BODY_MAX + 1, OTP_DRAIN_MAX, OTP_DRAIN_MAX + 1, 1ULL << 63, ~0ULL,
};
static const char *const long_limits[] = {
    "18446744073709551616",
    "99999999999999999999999999",
    "00000000000000000000000000000000000000000000000000008",
};

#define NLIMITS      (sizeof(limits) / sizeof(limits[0]))
#define NLONG_LIMITS (sizeof(long_limits) / sizeof(long_limits[0]))
#define PAD          'p'

/* The stream cgi_read() reads: len bytes of data, then pad bytes of PAD. */
struct body {
	const unsigned char *data;
	size_t len, pad, pos;
};

enum cl_mode {
	CL_EXACT,
	CL_LARGER,
	CL_SMALLER,
	CL_LITERAL,
	CL_LIMIT,
	CL_UNSET,
	CL_OVERLONG,
	CL_EXACT2 /* the body's length again: the case that reads a body */
};

/* A string of n copies of c (caller frees). */
static char *
repeat(int c, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	stderr = fopen("/dev/null", "w"); /* fd 2 stays libFuzzer's */
	return 0;
}

/*
 * CONTENT_LENGTH as the harness reads it: 1 with *n set for a decimal
 * number (digits only, any length, leading zeros), 2 for digits too many
 * for 64 bits, 0 for anything else.
 */
static int
decimal(const char *s, unsigned long long *n)
{
	unsigned long long v = 0;
	int kind = 1;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		if (v > (~0ULL - (unsigned)(*s - '0')) / 10)
			kind = 2;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*n = v;
	return kind;
}

/* Set name to value, or unset it for NULL. */
static void
env(const char *name, const char *value)
{
	if (value == NULL ? unsetenv(name) : setenv(name, value, 1))
		abort();
}

static unsigned char
body_at(const struct body *b, size_t i)
{
	return i < b->len ? b->data[i] : PAD;
}

static ssize_t
body_read(void *cookie, char *buf, size_t size)
{
	struct body *b = cookie;
	size_t n = 0, left = b->len + b->pad - b->pos;

	if (size > left)
		size = left;
	if (b->pos < b->len) {
		n = b->len - b->pos < size ? b->len - b->pos : size;
		memcpy(buf, b->data + b->pos, n);
	}
	memset(buf + n, PAD, size - n);
	b->pos += size;
	return (ssize_t)size;
}

/* Seeking is only for ftell(), which asks where the stream stands. */
static int
body_seek(void *cookie, off64_t *off, int whence)
{
	struct body *b = cookie;
	off64_t to = whence == SEEK_SET ? *off : whence == SEEK_CUR ? (off64_t)b->pos + *off : -1;

	if (to < 0 || (size_t)to > b->len + b->pad)
		return -1;
	b->pos = (size_t)to;
	*off = to;
	return 0;
}

/* The contracts, for CONTENT_LENGTH cl and a query qlen bytes long. */
static void
check(const struct cgi_req *req, FILE *in, const struct body *b, const char *cl, size_t qlen)
{
	unsigned long long n = 0, avail = b->len + b->pad, drained;
	long pos = ftell(in);
	int kind = cl != NULL ? decimal(cl, &n) : 0;
	int st = req->read_status;
	size_t i;

	if (pos < 0 || (st != 0 && st != 400 && st != 413 && st != 414))
		abort();
	if (st == 414 && qlen <= OTP_QUERY_MAX)
		abort();
	if (req->body == NULL ? req->body_len != 0 : req->body[req->body_len] != '\0')
		abort();
	if (req->body_len > OTP_BODY_MAX || (unsigned long long)pos > avail)
		abort();
	if (req->query != NULL &&
	    (strlen(req->query) > OTP_QUERY_MAX || strlen(req->query) != qlen))
		abort();

	if (cl == NULL || cl[0] == '\0') {
		/* No body to read, and nothing read. */
		if (pos != 0 || req->body_len != 0 || (st != 0 && st != 414))
			abort();
		return;
	}
	if (strlen(cl) > OTP_HEADER_MAX) {
		/* Longer than any header looked at: nothing to trust it with. */
		if (pos != 0 || req->body_len != 0 || st == 413)
			abort();
		return;
	}
	if (kind == 0) {
		if (pos != 0 || req->body_len != 0 || (st != 400 && st != 414))
			abort();
		return;
	}
	if (kind == 2) {
		/* Past 64 bits: a bad number or a body too large, either way. */
		if (req->body_len != 0 || pos > OTP_DRAIN_MAX ||
		    (st != 400 && st != 413 && st != 414))
			abort();
		return;
	}
	if ((unsigned long long)pos > n || req->body_len > n || pos > OTP_DRAIN_MAX)
		abort();
	if (st == 414)
		return;
	if (n > OTP_BODY_MAX) {
		/* Drained as far as a client may reasonably send. */
		drained = n < OTP_DRAIN_MAX ? n : OTP_DRAIN_MAX;
		if (st != 413 || req->body_len != 0 ||
		    (unsigned long long)pos != (drained < avail ? drained : avail))
			abort();
	} else if (n > avail) {
		if (st != 400 || (unsigned long long)pos != avail)
			abort();
	} else {
		if (st != 0 || req->body_len != n || (unsigned long long)pos != n ||
		    req->body == NULL)
			abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)req->body[i] != body_at(b, i))
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"POST", "GET", "PUT", NULL};
	static const enum cgi_method method_is[] = {CGI_POST, CGI_GET, CGI_OTHER, CGI_OTHER};
	static const cookie_io_functions_t io = {body_read, NULL, body_seek, NULL};
	struct cgi_req req;
	struct body b;
	char cl[32], *query = NULL, *literal = NULL;
	const char *clp = NULL;
	size_t blen, k, qlen = 0;
	const uint8_t *nl;
	unsigned ctl, m;
	FILE *in;

	if (size < 2)
		return 0;
	ctl = data[0];
	m = (ctl >> 3) & 3;
	k = (size_t)data[1] + 1;
	data += 2;
	blen = size - 2;
	memset(&b, 0, sizeof(b));
	if (ctl & 0x80)
		b.pad = OTP_DRAIN_MAX + k;
	switch ((enum cl_mode)(ctl & 7)) {
	case CL_EXACT:
	case CL_EXACT2:
		snprintf(cl, sizeof(cl), "%zu", blen);
		clp = cl;
		break;
	case CL_LARGER:
		snprintf(cl, sizeof(cl), "%zu", blen + k);
		clp = cl;
		break;
	case CL_SMALLER:
		snprintf(cl, sizeof(cl), "%zu", blen > k ? blen - k : 0);
		clp = cl;
		break;
	case CL_LITERAL:
		/* The first line is CONTENT_LENGTH, the rest the body. */
		nl = memchr(data, '\n', blen);
		k = nl != NULL ? (size_t)(nl - data) : blen;
		if ((literal = malloc(k + 1)) == NULL)
			abort();
		memcpy(literal, data, k);
		literal[k] = '\0';
		clp = literal;
		k = nl != NULL ? k + 1 : k;
		data += k;
		blen -= k;
		break;
	case CL_LIMIT:
		k %= NLIMITS + NLONG_LIMITS;
		if (k < NLIMITS)
			snprintf(cl, sizeof(cl), "%llu", limits[k]);
		clp = k < NLIMITS ? cl : long_limits[k - NLIMITS];
		break;
	case CL_UNSET:
		break;
	case CL_OVERLONG:
		clp = literal = repeat('1', OTP_HEADER_MAX + 1);
		break;
	}
	switch ((ctl >> 5) & 3) {
	case 1:
		query = repeat('q', qlen = 5);
		memcpy(query, "a=b&c", 5);
		break;
	case 2:
		query = repeat('q', qlen = OTP_QUERY_MAX);
		break;
	case 3:
		query = repeat('q', qlen = OTP_QUERY_MAX + 1);
		break;
	}
	env("CONTENT_LENGTH", clp);
	env("REQUEST_METHOD", methods[m]);
	env("QUERY_STRING", query);

	b.data = data;
	b.len = blen;
	if ((in = fopencookie(&b, "r", io)) == NULL)
		abort();
	cgi_read(&req, environ, in);
	check(&req, in, &b, clp, qlen);
	if (req.method != method_is[m])
		abort();
	cgi_free(&req);
	if (req.body != NULL)
		abort();
	fclose(in);
	free(query);
	free(literal);
	return 0;
}
