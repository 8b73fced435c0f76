/*
 * Logging to the request's error stream (stderr under CGI, which the web
 * server logs; FastCGI's per-request error stream) and allocators that
 * never return NULL: a CGI process that runs out of memory logs and exits.
 */
#ifndef OTP_LOG_H
#define OTP_LOG_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Name the program in every line ("request.cgi"). */
void log_init(const char *prog);
/* Turn on log_debug() lines (config DEBUG=True). */
void log_set_debug(int on);

/*
 * Where the lines go while a request is answered: its own error stream
 * (FastCGI's, which the server logs with the request), or NULL for the
 * process' stderr again.  serve.c sets it when a FastCGI request starts
 * and clears it when the request ends; stderr itself is never swapped.
 */
void log_set_sink(FILE *sink);

/*
 * One line to the sink (stderr unless a request set one): "prog: <message>".  Control characters,
 * bytes over 0x7e and '\\' in the formatted message are escaped as \xNN, so text from the request
 * cannot split or forge log lines.
 */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * One audit line for an event of a verification:
 *	"prog: audit time=<UTC ISO 8601> event=<event> phone=<masked>
 *	 client=<address> vid=<first 8 characters of the id> <detail>"
 * phone must already be masked; any argument may be NULL ("-").
 */
void log_audit(const char *event, const char *masked_phone, const char *client, const char *vid,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * s made fit to stand as one key=value field of an audit line: spaces,
 * '=', '"', '%', '\\' and what log_msg() escapes are percent-encoded
 * (%20), so a value from the request cannot pose as more fields.  Written to buf (size bytes,
 * cut short if need be), which is returned.
 */
const char *log_value(const char *s, char *buf, size_t size);

/* Allocators that log and exit(1) instead of returning NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#ifdef __cplusplus
}
#endif

#endif
