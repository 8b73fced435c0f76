/*
 * verify.cgi: the second step of a verification.
 *
 *	GET	the code form for the visitor's pending verification
 *	POST	token=...&verification_id=...: check the code
 *
 * The verification is the one named by the form's hidden field, else by
 * the cookie: a code proves only the verification it was sent for.  All
 * reads and writes of one check are one immediate transaction, so two
 * processes never both accept a code, nor both count the same try.
 * On success the visitor goes back to the site's return_to, if it gave
 * one, with a signed assertion (assertion.h).  With Accept:
 * application/json the answers are JSON.  This program never sends
 * anything and does not link libcurl.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "assertion.h"
#include "cgi.h"
#include "code.h"
#include "config.h"
#include "limit.h"
#include "bounds.h"
#include "log.h"
#include "page.h"
#include "phone.h"
#include "reply.h"
#include "store.h"

enum verify_field {
	FIELD_TOKEN,
	FIELD_ID,
	FIELD__MAX
};

/* A token is letters and digits, maybe spaced or dashed as people copy
 * codes ("12 34 56"), or empty ("no code entered"); its length and
 * alphabet are not checked here: a wrong one is a wrong try like any
 * other. */
static int
verify_token_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n > OTP_TOKEN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != ' ' && s[i] != '-')
			return 0;
	return 1;
}

/* Drop the spaces and dashes of a token, in place. */
static void
verify_token_squeeze(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '-')
			*w++ = *s;
	*w = '\0';
}

static const struct cgi_field verify_fields[FIELD__MAX] = {
    [FIELD_TOKEN] = {"token", verify_token_ok},
    [FIELD_ID] = {"verification_id", cgi_vid_ok},
};

enum verify_outcome {
	OUTCOME_RIGHT,
	OUTCOME_WRONG,   /* wrong code, tries left */
	OUTCOME_LOCKED,  /* wrong code, no tries left */
	OUTCOME_DEAD,    /* expired, used, locked before, failed or unknown */
	OUTCOME_LIMITED, /* too many wrong codes for this phone lately */
	OUTCOME_ERROR    /* the database failed */
};

#define VERIFY_UNAVAILABLE "Codes cannot be checked right now. Please try again in a few minutes."

/* Whether v's code may still be tried. */
static int
verify_live(const struct config *cfg, const struct verification *v, time_t now)
{
	return v->status == STATUS_PENDING && now < v->expires && v->attempts < cfg->max_attempts;
}

/* The code form for v, with an error message when msg is not NULL. */
static void
verify_form(const struct config *cfg, int status, const struct verification *v, const char *msg,
	    const struct reply_opts *opts)
{
	char masked[OTP_PHONE_MAX + 1];

	if (reply_is_json()) {
		reply_error(cfg, status, status == 422 ? "wrong_code" : "missing_token", "", msg, 0,
			    opts);
		return;
	}
	phone_mask(v->phone, masked, sizeof(masked));
	reply_code_form(cfg, status, v->id, masked, msg, opts);
}

/*
 * Check token against verification id in one transaction, and record
 * the outcome.  v gets the row as it was read.
 */
static enum verify_outcome
verify_check(struct store *st, const struct config *cfg, const char *id, const char *token,
	     time_t now, struct verification *v, struct limit_hit *hit)
{
	unsigned char mac[OTP_MAC_LEN];
	enum verify_outcome out;
	int found, right;

	/* Computed before the lookup, whatever it finds: no timing hint. */
	if (code_mac(cfg->secret_key, id, token, mac) < 0)
		return OUTCOME_ERROR;
	if (store_begin(st) < 0)
		return OUTCOME_ERROR;
	if ((found = store_get(st, id, v)) < 0)
		goto fail;
	if (!found || !verify_live(cfg, v, now)) {
		store_rollback(st);
		return OUTCOME_DEAD;
	}
	switch (limit_guess(st, cfg, v->phone, now, hit)) {
	case 0:
		break;
	case 429:
		store_rollback(st);
		return OUTCOME_LIMITED;
	default:
		goto fail;
	}
	right = code_equal(mac, v->mac, OTP_MAC_LEN);
	if (right) {
		v->status = STATUS_USED;
		out = OUTCOME_RIGHT;
	} else {
		v->attempts++;
		out = v->attempts >= cfg->max_attempts ? OUTCOME_LOCKED : OUTCOME_WRONG;
		if (out == OUTCOME_LOCKED)
			v->status = STATUS_LOCKED;
		if (store_add_failure(st, now, v->phone) < 0)
			goto fail;
	}
	if (store_put(st, v) < 0 || store_commit(st) < 0)
		goto fail;
	return out;
fail:
	store_rollback(st);
	return OUTCOME_ERROR;
}

/*
 * Where to send the visitor back: return_to with "otp_assertion=..." added
 * to its query (before any #fragment).  Returns 0 or -1 if it won't fit.
 */
static int
verify_return_url(const char *return_to, const char *assertion, char *out, size_t size)
{
	size_t frag = strcspn(return_to, "#");
	const char *sep = memchr(return_to, '?', frag) != NULL ? "&" : "?";
	int n;

	n = snprintf(out, size, "%.*s%sotp_assertion=%s%s", (int)frag, return_to, sep, assertion,
		     return_to + frag);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * The cookie carrying the assertion, for the directory of return_to (a
 * path on this site).  The path goes into a header attribute: anything
 * but plain path characters (a ';' would add attributes) falls back to
 * "/".  Returns 0, or -1 if it does not fit in out.
 */
static int
verify_result_cookie(const struct config *cfg, const struct cgi_req *req, const char *return_to,
		     const char *assertion, char *out, size_t size)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789/._~-";
	const char *path = return_to, *end;
	size_t n;
	int w;

	end = path + strcspn(path, "?#");
	while (end > path && end[-1] != '/')
		end--;
	n = (size_t)(end - path);
	if (n == 0 || strspn(path, safe) < n) {
		path = "/";
		n = 1;
	}
	w = snprintf(out, size, "otp_assertion=%s; Path=%.*s; Max-Age=%d; HttpOnly; SameSite=Lax%s",
		     assertion, (int)n, path, cfg->result_max_age, req->https ? "; Secure" : "");
	return w < 0 || (size_t)w >= size ? -1 : 0;
}

/*
 * The answer to a right code: back to the site's return_to with the
 * assertion (303), JSON with it, or the success page.
 */
static void
verify_success(const struct config *cfg, const struct cgi_req *req, const struct verification *v,
	       const char *masked, struct reply_opts *opts)
{
	struct assertion a;
	char signed_[ASSERTION_MAX + 1], url[OTP_RETURN_MAX + ASSERTION_MAX + 32];
	char cookie[ASSERTION_MAX + 512];
	int have = 0;
	struct page *p;
	cJSON *o;

	if (cfg->signing_key != NULL) {
		memset(&a, 0, sizeof(a));
		snprintf(a.phone, sizeof(a.phone), "%s", v->phone);
		snprintf(a.vid, sizeof(a.vid), "%s", v->id);
		snprintf(a.return_to, sizeof(a.return_to), "%s", v->return_to);
		a.verified_at = time(NULL);
		have = assertion_make(cfg->signing_key, &a, signed_, sizeof(signed_)) == 0;
		if (!have)
			log_msg("cannot make the assertion for verification %.8s", v->id);
	}
	if (reply_is_json()) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "status", "approved");
		cJSON_AddStringToObject(o, "phone", masked);
		if (have)
			cJSON_AddStringToObject(o, "assertion", signed_);
		reply_json(cfg, 200, o, opts);
		return;
	}
	url[0] = '\0';
	if (have && v->return_to[0] != '\0') {
		/* A cookie of this host is no use to another: a URL gets the query. */
		if (cfg->delivery == DELIVERY_COOKIE && v->return_to[0] == '/' &&
		    verify_result_cookie(cfg, req, v->return_to, signed_, cookie, sizeof(cookie)) ==
			0) {
			opts->set_cookie2 = cookie;
			snprintf(url, sizeof(url), "%s", v->return_to);
		} else if (verify_return_url(v->return_to, signed_, url, sizeof(url)) < 0)
			url[0] = '\0';
	}
	p = page_new("verify_success.html");
	page_set(p, "MASKED_PHONE", masked);
	if (url[0] != '\0') {
		opts->location = url;
		page_show(p, "CONTINUE");
		page_set(p, "CONTINUE_URL", url);
	}
	reply_page(cfg, url[0] != '\0' ? 303 : 200, p, opts);
}

static void
verify_post(const struct config *cfg, const struct cgi_req *req)
{
	char *values[FIELD__MAX];
	char id[OTP_ID_LEN + 1], masked[OTP_PHONE_MAX + 1], cookie[512], msg[128];
	struct reply_opts opts = {NULL, NULL, NULL, 0, -1};
	struct verification v;
	struct limit_hit hit;
	struct store *st = NULL;
	size_t i;

	if (cgi_form(req->body, req->body_len, verify_fields, FIELD__MAX, values) != 0) {
		log_audit("refused", NULL, req->remote_addr, NULL, "status=400 reason=form");
		reply_error(cfg, 400, "bad_request", "Bad request",
			    "The code could not be read: use only the letters and digits of the "
			    "text message.",
			    1, NULL);
		return;
	}
	if (!cgi_vid(req, values[FIELD_ID], id)) {
		log_audit("refused", NULL, req->remote_addr, NULL,
			  "status=400 reason=no_verification");
		reply_error(cfg, 400, "no_verification", "No code was asked for",
			    "This browser has no code waiting to be checked. Ask for a code "
			    "first.",
			    1, NULL);
		goto out;
	}
	if (values[FIELD_TOKEN] != NULL)
		verify_token_squeeze(values[FIELD_TOKEN]);
	if ((st = store_open(cfg->db_path)) == NULL) {
		reply_unavailable(cfg, VERIFY_UNAVAILABLE);
		goto out;
	}
	if (values[FIELD_TOKEN] == NULL || values[FIELD_TOKEN][0] == '\0') {
		log_audit("refused", NULL, req->remote_addr, id, "status=400 reason=missing_token");
		/* The form again, if there is one to show. */
		if (store_get(st, id, &v) == 1 && verify_live(cfg, &v, time(NULL)))
			verify_form(cfg, 400, &v, "Please enter the code from the text message.",
				    NULL);
		else
			reply_error(cfg, 400, "missing_token", "No code entered",
				    "Please enter the code from the text message.", 1, NULL);
		goto out;
	}
	switch (verify_check(st, cfg, id, values[FIELD_TOKEN], time(NULL), &v, &hit)) {
	case OUTCOME_RIGHT:
		phone_mask(v.phone, masked, sizeof(masked));
		log_audit("verified", masked, req->remote_addr, id, "attempts=%d", v.attempts);
		/* The cookie is of no more use once the verification is over. */
		if (cgi_vid_cookie(req, NULL, cookie, sizeof(cookie)) == 0)
			opts.set_cookie = cookie;
		verify_success(cfg, req, &v, masked, &opts);
		break;
	case OUTCOME_WRONG:
		phone_mask(v.phone, masked, sizeof(masked));
		log_audit("wrong", masked, req->remote_addr, id, "attempts=%d max=%d", v.attempts,
			  cfg->max_attempts);
		snprintf(msg, sizeof(msg), "That code is not right. %d %s left.",
			 cfg->max_attempts - v.attempts,
			 cfg->max_attempts - v.attempts == 1 ? "try" : "tries");
		opts.attempts_left = cfg->max_attempts - v.attempts;
		verify_form(cfg, 422, &v, msg, &opts);
		break;
	case OUTCOME_LOCKED:
		phone_mask(v.phone, masked, sizeof(masked));
		log_audit("locked", masked, req->remote_addr, id, "attempts=%d", v.attempts);
		reply_error(cfg, 410, "locked", "Too many wrong codes",
			    "That code was not right, and it was the last try. Ask for a new code "
			    "to try again.",
			    1, NULL);
		break;
	case OUTCOME_LIMITED:
		phone_mask(v.phone, masked, sizeof(masked));
		log_audit("limited", masked, req->remote_addr, id, "limit=%s retry_after=%ld",
			  hit.name, hit.retry_after);
		reply_limited(cfg, "wrong codes were tried for this number", hit.retry_after);
		break;
	case OUTCOME_DEAD:
		phone_mask(v.phone, masked, sizeof(masked));
		log_audit(v.phone[0] != '\0' && v.status == STATUS_PENDING ? "expired" : "dead",
			  v.phone[0] != '\0' ? masked : NULL, req->remote_addr, id, "status=%d",
			  (int)v.status);
		reply_error(cfg, 410, "code_dead", "This code can no longer be used",
			    "The code has expired, was already used, or had too many wrong tries. "
			    "Ask for a new code.",
			    1, NULL);
		break;
	case OUTCOME_ERROR:
		reply_unavailable(cfg, VERIFY_UNAVAILABLE);
		break;
	}
out:
	store_close(st);
	for (i = 0; i < FIELD__MAX; i++) {
		if (values[i] != NULL)
			explicit_bzero(values[i], strlen(values[i]));
		free(values[i]);
	}
}

/* GET: the code form again, if the visitor has a live verification. */
static void
verify_get(const struct config *cfg, const struct cgi_req *req)
{
	char id[OTP_ID_LEN + 1];
	struct verification v;
	struct store *st = NULL;
	int found = 0;

	if (cgi_vid(req, NULL, id)) {
		if ((st = store_open(cfg->db_path)) == NULL) {
			reply_unavailable(cfg, VERIFY_UNAVAILABLE);
			return;
		}
		found = store_get(st, id, &v) == 1 && verify_live(cfg, &v, time(NULL));
		store_close(st);
	}
	if (reply_is_json()) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "status", found ? "pending" : "none");
		if (found) {
			cJSON_AddStringToObject(o, "verification_id", v.id);
			cJSON_AddNumberToObject(o, "expires_in", (double)(v.expires - time(NULL)));
			cJSON_AddNumberToObject(o, "attempts_left", cfg->max_attempts - v.attempts);
		}
		reply_json(cfg, 200, o, NULL);
	} else if (found)
		verify_form(cfg, 200, &v, NULL, NULL);
	else
		reply_error(cfg, 200, "no_verification", "No code is waiting",
			    "There is no code waiting to be checked in this browser.", 1, NULL);
}

int
main(void)
{
	struct cgi_req req;
	struct config cfg;

	log_init("verify.cgi");
	umask(077);
	if (reply_front(&req, &cfg) != 0)
		return 0;
	if (req.method == CGI_GET)
		verify_get(&cfg, &req);
	else
		verify_post(&cfg, &req);
	cgi_free(&req);
	config_free(&cfg);
	return 0;
}
