/*
 * Answers: a page from templates/ with the CGI headers, or JSON for
 * clients that ask for it (Accept: application/json), with the same
 * status codes; a plain fallback page when even the templates fail.
 */
#ifndef OTP_REPLY_H
#define OTP_REPLY_H

#include <cjson/cJSON.h>

#include "cgi.h"
#include "config.h"
#include "page.h"

struct reply_opts {
	const char *set_cookie;  /* a whole Set-Cookie value, or NULL */
	const char *set_cookie2; /* a second one, or NULL */
	const char *location;    /* Location, for a 303, or NULL */
	long retry_after;        /* seconds for Retry-After, or 0 */
	int attempts_left;       /* for JSON errors; < 0: not said */
};

/* Whether this request asked for JSON (set by reply_front()). */
int reply_is_json(void);

/*
 * Render p from cfg's TEMPLATE_DIR (the built-in one when cfg is NULL)
 * and write it with status to stdout; frees p.  opts may be NULL.
 */
void reply_page(const struct config *cfg, int status, struct page *p,
		const struct reply_opts *opts);

/* Write body (freed here) as JSON with status. */
void reply_json(const struct config *cfg, int status, cJSON *body, const struct reply_opts *opts);

/*
 * A failure: in HTML the error page (templates/error.html) with a title
 * and a message in plain words, new_code showing a link to ask for a new
 * code; in JSON {"error": {"code": code, "message": message, ...}} with
 * retry_after and attempts_left when opts has them.  code is one of the
 * fixed set the README documents.
 */
void reply_error(const struct config *cfg, int status, const char *code, const char *title,
		 const char *message, int new_code, const struct reply_opts *opts);

/* 503 with message: the database cannot be opened or written. */
void reply_unavailable(const struct config *cfg, const char *message);

/*
 * 429 with Retry-After: "Too many <what>. Please wait N minutes and try
 * again."  what: "codes were asked for", say.
 */
void reply_limited(const struct config *cfg, const char *what, long retry_after);

/* The 500 page of a misconfigured service (the log names the key). */
void reply_misconfigured(const struct config *cfg);

/*
 * The code form (templates/verify.html) for verification id, sent to
 * the number masked_phone, with an error message when msg is not NULL.
 */
void reply_code_form(const struct config *cfg, int status, const char *id, const char *masked_phone,
		     const char *msg, const struct reply_opts *opts);

/*
 * The front line of both programs: read the request (the whole body,
 * always), load the config, run cgi_check().  Returns 0 when the request
 * may go on, with req and cfg filled (free both); otherwise it has
 * answered (500, 405, 400, 413, 415, 403) and logged, freed what it
 * made, and returns the status.
 */
int reply_front(struct cgi_req *req, struct config *cfg);

#endif
