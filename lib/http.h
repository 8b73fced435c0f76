/*
 * One POST of a JSON body with a bearer key to a provider's API, for the
 * providers' files (telnyx.c): libcurl, loaded when the first is made,
 * hardened in one function, with the process's one connection kept alive
 * between sends.  It knows HTTP, not any provider: the answer's body is
 * the caller's to read.  Only request.cgi links this.
 */
#ifndef OTP_HTTP_H
#define OTP_HTTP_H

#include <stddef.h>

/* What to send. */
struct http_post {
	const char *base;    /* "https://api.telnyx.com" (API_BASE_URL): where it connects */
	const char *path;    /* "/v2/messages", appended to base */
	const char *key;     /* the bearer key (API_KEY) */
	const char *ca_file; /* the only CA bundle trusted, or NULL: the system's */
	const char *body;    /* the JSON body */
};

/* What became of it: answered (any status), or not, and why. */
enum http_result {
	HTTP_ANSWERED,  /* status and body are the answer's */
	HTTP_NO_ANSWER, /* sent, or tried, and no whole answer: it may have been taken */
	HTTP_UNTRIED    /* nothing went out: libcurl missing, the URL or key too long, memory */
};

struct http_answer {
	long status;      /* the HTTP status; 0 if none */
	char *body;       /* HTTP_ANSWERED: the body, NUL after len bytes, or NULL if empty */
	size_t len;       /* at most OTP_SMS_REPLY_MAX */
	char reason[256]; /* otherwise: libcurl's words for it (not escaped), or ours */
};

/*
 * POST p->body to p->base and p->path, within OTP_SMS_TOTAL_MS, and fill
 * a (cleared first).  Tried again at most once, and only where the first
 * surely was not taken (no connection, 429, 503) with time left for it: a
 * provider's send has no idempotency key, and the visitor is waiting.
 * Nothing of the request stays in the process but its connection.
 * Logs nothing.  The caller frees a with http_answer_free().
 */
enum http_result http_post_json(const struct http_post *p, struct http_answer *a);

/* Wipe and free what a holds (the message, code and all, may come back in it). */
void http_answer_free(struct http_answer *a);

#endif
