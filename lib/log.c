/*
 * Logging and the allocators that log and exit.  Each line goes to the
 * sink: stderr, which a CGI server writes to its error log, or while a
 * FastCGI request is answered that request's error stream, which the
 * server logs with it.  Text from the request is escaped here, once,
 * whatever the caller passed.
 *
 * The sink is the one thing of a request kept here, set and cleared
 * around it by serve.c: log lines come from deep in the core, the store
 * and the SMS client, where no request is at hand, and a process answers
 * one request at a time.  Passing the stream to every function that may
 * log would change every signature for one pointer; swapping the global
 * stderr (as libfcgi's fcgi_stdio does) would also hand the request's
 * stream to every library that writes to stderr and leave it there if a
 * request ended without restoring it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *log_prog = "otp";
static int log_debug_on;
static FILE *log_sink; /* the request's error stream, or NULL: stderr */

void
log_init(const char *prog)
{
	log_prog = prog;
}

void
log_set_debug(int on)
{
	log_debug_on = on;
}

void
log_set_sink(FILE *sink)
{
	log_sink = sink;
}

/* Format, escape and write one line with a single write. */
static void
log_vline(const char *fmt, va_list ap)
{
	char raw[1024], line[4096];
	size_t i, n = 0;
	FILE *out;
	int len;

	len = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (len < 0)
		return;
	for (i = 0; raw[i] != '\0' && n + 5 < sizeof(line); i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c < 0x20 || c > 0x7e || c == '\\')
			n += (size_t)snprintf(line + n, sizeof(line) - n, "\\x%02x", c);
		else
			line[n++] = (char)c;
	}
	line[n] = '\0';
	out = log_sink != NULL ? log_sink : stderr;
	fprintf(out, "%s: %s%s\n", log_prog, line, (size_t)len >= sizeof(raw) ? "..." : "");
	fflush(out);
}

void
log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}

const char *
log_value(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return "";
	for (; s != NULL && *s != '\0' && n + 4 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c > 0x7e || c == '\\' || c == '"' || c == '=' || c == '%')
			n += (size_t)snprintf(buf + n, size - n, "%%%02X", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return buf;
}

void
log_audit(const char *event, const char *masked_phone, const char *client, const char *vid,
	  const char *fmt, ...)
{
	char detail[512], when[32], addr[128];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(detail, sizeof(detail), fmt, ap) < 0)
		detail[0] = '\0';
	va_end(ap);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)now);
	log_msg("audit time=%s event=%s phone=%s client=%s vid=%.8s%s%s", when, event,
		masked_phone != NULL ? masked_phone : "-",
		log_value(client != NULL ? client : "-", addr, sizeof(addr)),
		vid != NULL && *vid != '\0' ? vid : "-", detail[0] != '\0' ? " " : "", detail);
}

static void
log_oom(void)
{
	/* Nothing left to format with: a fixed line, then out.  To the
	 * process' stderr as well: a FastCGI request's stream is not sent
	 * to the server once the process is gone. */
	if (log_sink != NULL) {
		fputs("otp: out of memory\n", log_sink);
		fflush(log_sink);
	}
	fputs("otp: out of memory\n", stderr);
	exit(1);
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		log_oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		log_oom();
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		log_oom();
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
