/*
 * The CGI side: the request as the web server hands it over (its
 * variables and a body of exactly CONTENT_LENGTH bytes), form decoding against a
 * table of accepted fields, cookies, origin checks, response headers.
 */
#ifndef OTP_CGI_H
#define OTP_CGI_H

#include <stddef.h>
#include <stdio.h>

#include "bounds.h"

enum cgi_method {
	CGI_GET,
	CGI_POST,
	CGI_OTHER
};

struct cgi_req {
	/* The request's variables, NAME=value, NULL-terminated: the environment
	 * under CGI, FastCGI's parameters of this request, never the process'
	 * environment then.  Valid while the request is answered. */
	char *const *env;
	enum cgi_method method;
	int https;  /* the request came over TLS */
	char *body; /* NUL-terminated; NULL when there was none */
	size_t body_len;
	const char *content_type; /* each of these may be NULL */
	const char *host;
	const char *origin;
	const char *referer;
	const char *cookie;
	const char *query;
	const char *script_name;
	const char *remote_addr;
	const char *accept;
	const char *accept_language; /* HTTP_ACCEPT_LANGUAGE, or NULL */
	int read_status;             /* 0, or 400/413/414 from cgi_read() */
};

/*
 * The value of variable name in env (NAME=value strings, NULL-terminated),
 * or NULL when it is absent.  What getenv() is to environ, for a request's
 * own list.
 */
const char *cgi_param(char *const *env, const char *name);

/*
 * Fill req from the request's variables env (kept in req->env) and read
 * the body from in: exactly
 * CONTENT_LENGTH bytes, keeping at most OTP_BODY_MAX and draining the rest
 * up to OTP_DRAIN_MAX, so that the server never resets the connection.
 * Never reads past CONTENT_LENGTH (reading to end of file can hang).
 * What went wrong is left in req->read_status (400 for a bad or short
 * CONTENT_LENGTH, 413 for a body too large, 414 for a QUERY_STRING over
 * OTP_QUERY_MAX, which wins over both) for cgi_check() to answer.
 */
void cgi_read(struct cgi_req *req, char *const *env, FILE *in);

/* cgi_read() keeping at most body_max bytes of the body (webhook.cgi's JSON). */
void cgi_read_max(struct cgi_req *req, char *const *env, FILE *in, size_t body_max);

/* Free the body. */
void cgi_free(struct cgi_req *req);

/*
 * The front line every program runs, in this order: 405 for a method
 * other than GET or POST, then cgi_read()'s 414, 400 or 413, 415 for a
 * POST that is not application/x-www-form-urlencoded, 403 for a POST from
 * another origin: with site_origin (SITE_ORIGIN, as config.c normalised
 * it) its Origin, or without one its Referer, must name exactly that
 * origin and Host is not read; with NULL, cgi_same_origin() decides.
 * Returns 0 when the request may go on.
 */
int cgi_check(const struct cgi_req *req, const char *site_origin);

/*
 * Whether a POST comes from this site: its Origin, or without one its
 * Referer, must name host (HTTP_HOST).  A request with neither passes.
 */
int cgi_same_origin(const char *host, const char *origin, const char *referer);

/*
 * A field a program accepts, with its validator (NULL: any text passes).
 * The validator checks the decoded value and may normalise it: it may
 * replace *value with another malloc'd string (freeing the old one) or
 * with NULL (the field counts as absent).  arg is cgi_form()'s.  It
 * returns 1 to accept, 0 to refuse; refusal is what the program answers
 * then (its enum outcome).
 */
struct cgi_field {
	const char *name;
	int (*valid)(char **value, const void *arg);
	int refusal;
};

/*
 * Decode an application/x-www-form-urlencoded string (a body or a query)
 * of len bytes against the table of n fields, and run each validator on
 * what it got.  values[i] gets the checked value of fields[i], or NULL if
 * absent; the caller frees each.  Fields not in the table are ignored.
 * Returns 0; or 400 with *bad = n for a malformed form (bad
 * percent-encoding, a NUL or control character, a value over
 * OTP_FIELD_MAX, a repeated field, too many pairs), values all NULL; or
 * 400 with *bad = i when fields[i]'s validator refused, values all NULL
 * but values[i], the value as decoded (for a form shown again).
 */
int cgi_form(const char *s, size_t len, const struct cgi_field *fields, size_t n, const void *arg,
	     char **values, size_t *bad);

/*
 * Decode one percent-encoded string ('+' is a space).  out must hold len
 * + 1 bytes.  Returns the decoded length, or -1 if malformed.
 */
long cgi_urldecode(const char *in, size_t len, char *out);

/*
 * Find cookie name in a Cookie header.  Copies its value into out (size
 * bytes) and returns 1, or returns 0 if absent, empty or too long.
 */
int cgi_cookie(const char *header, const char *name, char *out, size_t size);

/* The directory of script_name ("/cgi-bin/x.cgi" -> "/cgi-bin/"), for
 * the cookie's Path.  Always NUL-terminates; "/" when unknown. */
void cgi_script_dir(const char *script_name, char *out, size_t size);

/*
 * The visitor's verification id: the form's field when it holds one, else
 * the first OTP_COOKIE cookie that holds one (a client may send several).
 * Returns 1 with out set, or 0.  The id names a verification; it grants
 * nothing by itself.
 */
int cgi_vid(const struct cgi_req *req, const char *field, char out[OTP_ID_LEN + 1]);

/* The validator of a verification_id field: empty (then absent), or an id. */
int cgi_vid_ok(char **field, const void *arg);

/*
 * The Set-Cookie value carrying id (NULL: clearing it): HttpOnly,
 * SameSite=Strict, for the programs' directory, Secure under HTTPS.
 * Returns 0, or -1 if out (size bytes) is too small.
 */
int cgi_vid_cookie(const struct cgi_req *req, const char *id, char *out, size_t size);

/* The reason phrase for a status ("Not Found"). */
const char *cgi_reason(int status);

struct cgi_reply {
	int status;
	const char *content_type; /* default text/html; charset=utf-8 */
	const char *set_cookie;   /* a whole Set-Cookie value, or NULL */
	const char *set_cookie2;  /* a second one, or NULL */
	long retry_after;         /* seconds; 0: no header */
	const char *location;     /* for redirects, or NULL */
	const char *allow;        /* the Allow of a 405; NULL: "GET, POST" */
	const char *form_origins; /* more origins for CSP form-action, or NULL */
	const char *body;
	size_t body_len;
};

/*
 * Write the reply: a Status line, the security headers every answer
 * carries (CSP, nosniff, same-origin referrers, no-store, no framing), the headers
 * asked for, a blank line and the body.  Returns 0 or -1.
 */
int cgi_write(const struct cgi_reply *reply, FILE *out);

#endif
