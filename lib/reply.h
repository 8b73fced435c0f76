/*
 * Answers: every outcome of a request (enum outcome, core.h) becomes a
 * page from templates/ with the CGI headers, or JSON for clients that ask
 * for it (Accept: application/json), with the same status, through one
 * table; a plain fallback page when even the templates fail.  Everything
 * about the request being answered lives in its struct reply: nothing
 * per request is kept in a static, so one process can answer many.
 */
#ifndef OTP_REPLY_H
#define OTP_REPLY_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "cgi.h"
#include "config.h"
#include "core.h"
#include "lang.h"
#include "page.h"

/* One request being answered. */
struct reply {
	const struct config *cfg; /* NULL until loaded: built-in templates */
	const struct cgi_req *req;
	FILE *out;
	int json; /* the client asked for JSON */
	/* The request's language (lang_choose()): a verification's own wins. */
	char lang[LANG_TAG_MAX + 1];
	/* What the phone form shows again (any may be NULL). */
	const char *typed;     /* the number as typed */
	const char *phone;     /* E.164, with phone_sig */
	const char *phone_sig; /* checked against phone */
	const char *return_to; /* checked */
	/* resend=1: the verification asked for again (checked), or "". */
	char vid[OTP_ID_LEN + 1];
};

/*
 * Answer outcome r->outcome of the request: status, page or JSON, headers
 * (Retry-After, the verification cookie, a 303 back to the site), and the
 * one audit line of the table's event with r's masked number, id and
 * detail (extra, when not NULL, goes after them).
 */
void reply_answer(struct reply *rp, const struct core_result *r, const char *extra);

/* reply_answer() for an outcome with no result data (a refusal at the door). */
void reply_refuse(struct reply *rp, enum outcome o);

/*
 * The front line of both programs: read the request (its variables env,
 * the whole body from in, always) into req, run cgi_check() under cfg (NULL: the config
 * could not be loaded, 500), and set up rp to answer to out.  Returns 0
 * when the request may go on; otherwise it has answered (500, 405, 400,
 * 413, 414, 415, 403) and logged, freed what it made, and returns the
 * status.
 */
int reply_front(struct reply *rp, struct cgi_req *req, char *const *env, const struct config *cfg,
		FILE *in, FILE *out);

/* Free what reply_front() made. */
void reply_done(struct reply *rp, struct cgi_req *req);

/* The row of the table for o: its status, and its JSON code or NULL. */
int reply_status(enum outcome o);
const char *reply_code(enum outcome o);

#endif
