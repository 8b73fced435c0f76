/*
 * Answers: a page from templates/ with the CGI headers, or a plain
 * fallback when even the templates cannot be read.
 */
#ifndef OTP_REPLY_H
#define OTP_REPLY_H

#include "cgi.h"
#include "config.h"
#include "page.h"

struct reply_opts {
	const char *set_cookie; /* a whole Set-Cookie value, or NULL */
	long retry_after;       /* seconds for Retry-After, or 0 */
};

/*
 * Render p from cfg's TEMPLATE_DIR (the built-in one when cfg is NULL)
 * and write it with status to stdout; frees p.  opts may be NULL.
 */
void reply_page(const struct config *cfg, int status, struct page *p,
		const struct reply_opts *opts);

/*
 * The error page (templates/error.html) with a title and a message in
 * plain words; new_code shows a link to ask for a new code.
 */
void reply_error(const struct config *cfg, int status, const char *title, const char *message,
		 int new_code, const struct reply_opts *opts);

/*
 * The front line of both programs: read the request (the whole body,
 * always), load the config, run cgi_check().  Returns 0 when the request
 * may go on, with req and cfg filled (free both); otherwise it has
 * answered (500, 405, 400, 413, 415, 403) and logged, freed what it
 * made, and returns the status.
 */
int reply_front(struct cgi_req *req, struct config *cfg);

#endif
