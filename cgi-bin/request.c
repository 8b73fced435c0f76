/*
 * request.cgi: the first step of a verification.
 *
 *	GET	the phone form; ?return_to=/path sends the visitor back there
 *		with a signed assertion when done, ?phone= fills the number
 *		in, and with phone_sig= the site fixes it
 *	POST	phone=...: normalise the number, check the limits, make a
 *		code, store its hash, send the SMS, answer the code form
 *
 * main() is the front line (reply_front()), then one of the two steps.
 * With Accept: application/json the answers are JSON (see README).
 */
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
#include "sms.h"
#include "store.h"

enum request_field {
	FIELD_PHONE,
	FIELD_RETURN_TO,
	FIELD_PHONE_SIG,
	FIELD_ID,
	FIELD__MAX
};

static const struct cgi_field request_fields[FIELD__MAX] = {
    [FIELD_PHONE] = {"phone", NULL},         /* checked by phone_normalize() */
    [FIELD_RETURN_TO] = {"return_to", NULL}, /* checked by config_return_to_ok() */
    [FIELD_PHONE_SIG] = {"phone_sig", NULL}, /* checked by assertion_phone_sig_ok() */
    [FIELD_ID] = {"verification_id", cgi_vid_ok},
};

#define REQUEST_UNAVAILABLE                                                                        \
	"We cannot send codes right now. Nothing was sent; please try again later."

/* What the request asked for, once checked. */
struct request_in {
	char phone[OTP_PHONE_MAX + 1]; /* E.164, or "" */
	const char *typed;             /* the phone as typed, or NULL */
	const char *return_to;         /* checked, or NULL */
	const char *phone_sig;         /* checked against phone, or NULL */
	const char *id;                /* verification_id, for clients without cookies */
};

/* The phone form, with an error message when msg is not NULL. */
static void
request_form(const struct config *cfg, int status, const char *code, const char *msg,
	     const struct request_in *in)
{
	struct page *p;

	if (reply_is_json() && msg != NULL) {
		reply_error(cfg, status, code, "", msg, 0, NULL);
		return;
	}
	p = page_new("index.html");
	page_set(p, "COUNTRY_CODE", cfg->country_code);
	if (in != NULL && in->phone_sig != NULL) {
		page_show(p, "SIGNED");
		page_set(p, "PHONE", in->phone);
		page_set(p, "PHONE_SIG", in->phone_sig);
	} else {
		page_show(p, "UNSIGNED");
		if (in != NULL && in->typed != NULL)
			page_set(p, "PHONE", in->typed);
	}
	if (in != NULL && in->return_to != NULL) {
		page_show(p, "RETURN_TO");
		page_set(p, "RETURN_TO_VALUE", in->return_to);
	}
	if (msg != NULL) {
		page_show(p, "ERROR");
		page_set(p, "ERROR_MESSAGE", msg);
	}
	reply_page(cfg, status, p, NULL);
}

/*
 * Check the fields common to GET (query) and POST (body) into in.
 * Returns 0, or answers 400 itself and returns 400.  need_phone: a
 * missing phone is an error (POST) rather than an empty form (GET).
 */
static int
request_parse(const struct config *cfg, const struct cgi_req *req, char **values, int need_phone,
	      struct request_in *in)
{
	memset(in, 0, sizeof(*in));
	in->typed = values[FIELD_PHONE];
	in->id = values[FIELD_ID];
	if (values[FIELD_RETURN_TO] != NULL && values[FIELD_RETURN_TO][0] != '\0') {
		if (!return_to_ok(&cfg->return_to, values[FIELD_RETURN_TO])) {
			/* Not the form: a verification the site never hears of is no use. */
			log_audit("refused", NULL, req->remote_addr, NULL,
				  "status=400 reason=return_to");
			reply_error(cfg, 400, "invalid_return_to", "Bad return address",
				    "The site sent you here with a return address that is not "
				    "allowed. Please go back to the site and try again.",
				    0, NULL);
			return 400;
		}
		if (cfg->signing_key == NULL) {
			log_msg("%s: missing SIGNING_KEY (needed for return_to)", config_path());
			reply_misconfigured(cfg);
			return 500;
		}
		in->return_to = values[FIELD_RETURN_TO];
	}
	if (values[FIELD_PHONE] == NULL || values[FIELD_PHONE][0] == '\0') {
		if (values[FIELD_PHONE_SIG] != NULL || need_phone) {
			log_audit("refused", NULL, req->remote_addr, NULL,
				  "status=400 reason=missing_phone");
			in->typed = NULL;
			request_form(cfg, 400, "missing_phone", "Please enter your phone number.",
				     in);
			return 400;
		}
		return 0;
	}
	if (phone_normalize(values[FIELD_PHONE], cfg->country_code, in->phone) < 0) {
		log_audit("refused", NULL, req->remote_addr, NULL,
			  "status=400 reason=invalid_phone");
		request_form(cfg, 400, "invalid_phone",
			     "That does not look like a phone number. Use digits, with + and the "
			     "country code for numbers abroad.",
			     in);
		return 400;
	}
	if (values[FIELD_PHONE_SIG] != NULL) {
		if (cfg->signing_key == NULL ||
		    !assertion_phone_sig_ok(cfg->signing_key, in->phone, values[FIELD_PHONE_SIG])) {
			log_audit("refused", NULL, req->remote_addr, NULL,
				  "status=400 reason=phone_sig");
			in->typed = NULL;
			in->phone[0] = '\0';
			request_form(cfg, 400, "bad_signature",
				     "The site sent you here with a phone number that does not "
				     "check out. Please go back to the site and try again.",
				     in);
			return 400;
		}
		in->phone_sig = values[FIELD_PHONE_SIG];
	}
	return 0;
}

/*
 * The SMS text: MESSAGE_TEXT with each {code} replaced, and with
 * WEBOTP_DOMAIN the origin-bound line "@domain #code" last, so that
 * browsers offer the code on that site only.  config checked that
 * MESSAGE_TEXT has a {code} and is short enough for the result to fit;
 * returns 0, or -1 if it did not all the same.
 */
static int
request_text(const struct config *cfg, const char *code, char *out, size_t size)
{
	const char *p = cfg->message_text, *at;
	size_t n = 0;
	int w;

	while ((at = strstr(p, "{code}")) != NULL) {
		w = snprintf(out + n, size - n, "%.*s%s", (int)(at - p), p, code);
		if (w < 0 || (size_t)w >= size - n)
			goto toolong;
		n += (size_t)w;
		p = at + 6;
	}
	if (cfg->webotp_domain != NULL)
		w = snprintf(out + n, size - n, "%s\n\n@%s #%s", p, cfg->webotp_domain, code);
	else
		w = snprintf(out + n, size - n, "%s", p);
	if (w >= 0 && (size_t)w < size - n)
		return 0;
toolong:
	out[0] = '\0';
	return -1;
}

/*
 * Check the send limits and store the code for phone: in the visitor's
 * pending verification for the same number if there is one (its wrong-try
 * count carries over; the visitor's is named by the cookie or, for
 * clients without cookies, the verification_id field), else in a new one.  Fills v.  All in one
 * transaction, so that concurrent requests are counted exactly.  Returns
 * 0, 429 (with *hit), or -1 (logged).
 */
static int
request_store(struct store *st, const struct config *cfg, const struct cgi_req *req,
	      const char *client, const struct request_in *in, const char *code, time_t now,
	      struct verification *v, struct limit_hit *hit)
{
	char id[OTP_ID_LEN + 1];
	int found = 0, rc, seed = 0;

	if (store_begin(st) < 0)
		return -1;
	if (store_purge(st, now) < 0)
		goto fail;
	if ((rc = limit_send(st, cfg, in->phone, client, now, &seed, hit)) != 0) {
		store_rollback(st);
		return rc;
	}
	if (cgi_vid(req, in->id, id)) {
		if ((found = store_get(st, id, v)) < 0)
			goto fail;
		found = found && v->status == STATUS_PENDING && !strcmp(v->phone, in->phone);
	}
	if (!found) {
		memset(v, 0, sizeof(*v));
		if (code_new_id(v->id) < 0) {
			log_msg("cannot make a verification id: no randomness");
			goto fail;
		}
		snprintf(v->phone, sizeof(v->phone), "%s", in->phone);
	}
	/* No new code resets the number's wrong-try count (NIST SP 800-63B). */
	if (v->attempts < seed)
		v->attempts = seed;
	v->created = now;
	v->expires = now + cfg->token_ttl;
	v->status = STATUS_PENDING;
	v->message_id[0] = '\0';
	/* "Send a new code" comes without return_to: keep the one the site gave. */
	if (in->return_to != NULL)
		snprintf(v->return_to, sizeof(v->return_to), "%s", in->return_to);
	if (code_mac(cfg->secret_key, v->id, code, v->mac) < 0) {
		log_msg("cannot compute HMAC");
		goto fail;
	}
	if (store_put(st, v) < 0 || store_commit(st) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/* The answer after a code went out: the code form, or JSON. */
static void
request_sent(const struct config *cfg, const struct cgi_req *req, const struct verification *v,
	     const char *masked)
{
	struct reply_opts opts = {NULL, NULL, NULL, 0, -1};
	char cookie[512];
	cJSON *o;

	if (cgi_vid_cookie(req, v->id, cookie, sizeof(cookie)) == 0)
		opts.set_cookie = cookie;
	if (reply_is_json()) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "status", "pending");
		cJSON_AddStringToObject(o, "verification_id", v->id);
		cJSON_AddNumberToObject(o, "expires_in", cfg->token_ttl);
		cJSON_AddStringToObject(o, "phone", masked);
		reply_json(cfg, 200, o, &opts);
		return;
	}
	reply_code_form(cfg, 200, v->id, masked, NULL, &opts);
}

/* POST: make, store and send a code. */
static void
request_send(const struct config *cfg, const struct cgi_req *req)
{
	char *values[FIELD__MAX];
	char masked[OTP_PHONE_MAX + 1], code[OTP_CODE_MAX + 1], text[OTP_TEXT_MAX];
	char client[64], ecode[64], reason[256];
	struct limit_hit hit;
	struct request_in in;
	struct verification v;
	struct sms_result res;
	struct store *st = NULL;
	time_t now = time(NULL);
	size_t i;
	int rc;

	if (cgi_form(req->body, req->body_len, request_fields, FIELD__MAX, values) != 0) {
		log_audit("refused", NULL, req->remote_addr, NULL, "status=400 reason=form");
		request_form(cfg, 400, "bad_request",
			     "The form could not be read. Please try again.", NULL);
		return;
	}
	if (request_parse(cfg, req, values, 1, &in) != 0)
		goto out;
	limit_client_key(req->remote_addr, client, sizeof(client));
	phone_mask(in.phone, masked, sizeof(masked));
	if (!limit_country_allowed(cfg, in.phone)) {
		log_audit("refused", masked, req->remote_addr, NULL, "status=400 reason=country");
		request_form(cfg, 400, "country_not_allowed",
			     "Sorry, we cannot send codes to numbers in that country. Please use "
			     "another number.",
			     &in);
		goto out;
	}
	if ((st = store_open(cfg->db_path)) == NULL) {
		reply_unavailable(cfg, REQUEST_UNAVAILABLE);
		goto out;
	}
	rc = code_random(code, cfg->token_length, cfg->alphabet) < 0
		 ? -1
		 : request_store(st, cfg, req, client, &in, code, now, &v, &hit);
	if (rc == 429) {
		log_audit("limited", masked, req->remote_addr, NULL, "limit=%s retry_after=%ld",
			  hit.name, hit.retry_after);
		if (hit.budget)
			log_msg("WARNING: %s reached: no codes are sent to anyone until it "
				"passes (SMS pumping?)",
				hit.name);
		reply_limited(cfg,
			      hit.guesses ? "wrong codes were tried for this number"
					  : "codes were asked for",
			      hit.retry_after);
		goto out;
	}
	if (rc < 0) {
		log_msg("no code sent to %s: cannot store it", masked);
		reply_unavailable(cfg, REQUEST_UNAVAILABLE);
		goto out;
	}
	log_audit("requested", masked, req->remote_addr, v.id, "attempts=%d", v.attempts);
	if (request_text(cfg, code, text, sizeof(text)) < 0) {
		log_msg("MESSAGE_TEXT does not fit in %d bytes", OTP_TEXT_MAX);
		memset(&res, 0, sizeof(res));
		snprintf(res.reason, sizeof(res.reason), "message too long");
		rc = -1;
	} else
		rc = sms_send(cfg, in.phone, text, &res);
	explicit_bzero(text, sizeof(text));
	if (rc < 0) {
		log_audit("provider_error", masked, req->remote_addr, v.id,
			  "http_status=%ld error_code=%s reason=%s", res.http_status,
			  log_value(res.error_code[0] != '\0' ? res.error_code : "-", ecode,
				    sizeof(ecode)),
			  log_value(res.reason, reason, sizeof(reason)));
		/* The visitor never saw the code: make sure nobody can use it. */
		if (store_fail(st, v.id, v.mac) < 0)
			log_msg("cannot mark verification %.8s failed", v.id);
		reply_error(cfg, 502, "provider_error", "The text message could not be sent",
			    "Our text message provider did not take the message. No code was "
			    "sent. Please try again in a few minutes.",
			    1, NULL);
		goto out;
	}
	if (store_set_message_id(st, v.id, res.message_id) < 0)
		log_msg("cannot record message id for verification %.8s", v.id);
	log_audit("sent", masked, req->remote_addr, v.id, "message_id=%s", res.message_id);
	request_sent(cfg, req, &v, masked);
out:
	explicit_bzero(code, sizeof(code));
	store_close(st);
	for (i = 0; i < FIELD__MAX; i++)
		free(values[i]);
}

/* GET: the phone form, filled from the query when the site sent one. */
static void
request_get(const struct config *cfg, const struct cgi_req *req)
{
	char *values[FIELD__MAX];
	struct request_in in;
	size_t i;

	if (cgi_form(req->query, req->query != NULL ? strlen(req->query) : 0, request_fields,
		     FIELD__MAX, values) != 0) {
		request_form(cfg, 400, "bad_request", "The address could not be read.", NULL);
		return;
	}
	if (request_parse(cfg, req, values, 0, &in) == 0) {
		if (reply_is_json()) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "status", "ready");
			reply_json(cfg, 200, o, NULL);
		} else
			request_form(cfg, 200, NULL, NULL, &in);
	}
	for (i = 0; i < FIELD__MAX; i++)
		free(values[i]);
}

int
main(void)
{
	struct cgi_req req;
	struct config cfg;

	log_init("request.cgi");
	umask(077); /* the database and outbox are for this user alone */
	if (reply_front(&req, &cfg) != 0)
		return 0;
	if (req.method == CGI_GET)
		request_get(&cfg, &req);
	else
		request_send(&cfg, &req);
	cgi_free(&req);
	config_free(&cfg);
	return 0;
}
