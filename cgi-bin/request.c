/*
 * request.cgi: the first step of a verification.
 *
 *	GET	the phone form
 *	POST	phone=...: normalise the number, make a code, store its hash,
 *		send the SMS, answer the code form
 *
 * main() is the front line (reply_front()), then one of the two steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cgi.h"
#include "code.h"
#include "config.h"
#include "limit.h"
#include "limits.h"
#include "log.h"
#include "page.h"
#include "phone.h"
#include "reply.h"
#include "sms.h"
#include "store.h"

enum request_field {
	FIELD_PHONE,
	FIELD__MAX
};

static const struct cgi_field request_fields[FIELD__MAX] = {
    [FIELD_PHONE] = {"phone", NULL}, /* checked by phone_normalize() */
};

/* The phone form, with an error message when msg is not NULL. */
static void
request_form(const struct config *cfg, int status, const char *msg, const char *phone)
{
	struct page *p = page_new("index.html");

	page_set(p, "COUNTRY_CODE", cfg->country_code);
	if (phone != NULL)
		page_set(p, "PHONE", phone);
	if (msg != NULL) {
		page_show(p, "ERROR");
		page_set(p, "ERROR_MESSAGE", msg);
	}
	reply_page(cfg, status, p, NULL);
}

/*
 * The SMS text: MESSAGE_TEXT with its first {code} replaced.  config
 * checked that it has one and that the result fits.
 */
static void
request_text(const struct config *cfg, const char *code, char *out, size_t size)
{
	const char *at = strstr(cfg->message_text, "{code}");
	int n;

	n = snprintf(out, size, "%.*s%s%s", (int)(at - cfg->message_text), cfg->message_text, code,
		     at + 6);
	if (n < 0 || (size_t)n >= size)
		out[0] = '\0';
}

/*
 * Check the send limits and store the code for phone: in the visitor's
 * pending verification for the same number if there is one (its wrong-try
 * count carries over), else in a new one.  Fills v.  All in one
 * transaction, so that concurrent requests are counted exactly.  Returns
 * 0, 429 (with *retry_after and *why), or -1 (logged).
 */
static int
request_store(struct store *st, const struct config *cfg, const struct cgi_req *req,
	      const char *client, const char *phone, const char *code, time_t now,
	      struct verification *v, long *retry_after, const char **why)
{
	char id[OTP_ID_LEN + 1];
	int found = 0, rc;

	if (store_begin(st) < 0)
		return -1;
	if (store_purge(st, now) < 0)
		goto fail;
	if ((rc = limit_send(st, cfg, phone, client, now, retry_after, why)) != 0) {
		store_rollback(st);
		return rc;
	}
	if (cgi_cookie(req->cookie, OTP_COOKIE, id, sizeof(id)) && code_is_id(id)) {
		if ((found = store_get(st, id, v)) < 0)
			goto fail;
		found = found && v->status == STATUS_PENDING && !strcmp(v->phone, phone);
	}
	if (!found) {
		memset(v, 0, sizeof(*v));
		if (code_new_id(v->id) < 0) {
			log_msg("cannot make a verification id: no randomness");
			goto fail;
		}
		snprintf(v->phone, sizeof(v->phone), "%s", phone);
	}
	v->created = now;
	v->expires = now + cfg->token_ttl;
	v->status = STATUS_PENDING;
	v->message_id[0] = '\0';
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

/* The Set-Cookie value carrying the id: this directory only, no script. */
static void
request_cookie(const struct cgi_req *req, const char *id, char *out, size_t size)
{
	char path[256];

	cgi_script_dir(req->script_name, path, sizeof(path));
	snprintf(out, size, "%s=%s; Path=%s; HttpOnly; SameSite=Strict%s", OTP_COOKIE, id, path,
		 req->https ? "; Secure" : "");
}

/* POST: make, store and send a code. */
static void
request_send(const struct config *cfg, const struct cgi_req *req)
{
	char *values[FIELD__MAX];
	char phone[OTP_PHONE_MAX + 1], masked[OTP_PHONE_MAX + 1];
	char code[OTP_CODE_MAX + 1], text[OTP_TEXT_MAX], cookie[512], client[64], msg[160];
	struct verification v;
	struct sms_result res;
	struct reply_opts opts = {NULL, 0};
	struct store *st = NULL;
	struct page *p;
	const char *why = NULL;
	time_t now = time(NULL);
	int rc;

	limit_client_key(req->remote_addr, client, sizeof(client));

	if (cgi_form(req->body, req->body_len, request_fields, FIELD__MAX, values) != 0) {
		log_msg("refused with 400: malformed form from %s",
			req->remote_addr != NULL ? req->remote_addr : "-");
		request_form(cfg, 400, "The form could not be read. Please try again.", NULL);
		return;
	}
	if (values[FIELD_PHONE] == NULL || values[FIELD_PHONE][0] == '\0') {
		request_form(cfg, 400, "Please enter your phone number.", NULL);
		goto out;
	}
	if (phone_normalize(values[FIELD_PHONE], cfg->country_code, phone) < 0) {
		log_debug("refused with 400: not a phone number");
		request_form(cfg, 400,
			     "That does not look like a phone number. Use digits, with + and the "
			     "country code for numbers abroad.",
			     values[FIELD_PHONE]);
		goto out;
	}
	phone_mask(phone, masked, sizeof(masked));
	if (!limit_country_allowed(cfg, phone)) {
		log_audit("refused", masked, req->remote_addr, NULL, "reason=country");
		request_form(cfg, 400,
			     "Sorry, we cannot send codes to numbers in that country. Please use "
			     "another number.",
			     values[FIELD_PHONE]);
		goto out;
	}

	if ((st = store_open(cfg->db_path)) == NULL) {
		reply_error(cfg, 503, "Service unavailable",
			    "We cannot send codes right now. Nothing was sent; please try again "
			    "later.",
			    0, NULL);
		goto out;
	}
	rc = code_random(code, cfg->token_length, cfg->alphabet) < 0
		 ? -1
		 : request_store(st, cfg, req, client, phone, code, now, &v, &opts.retry_after,
				 &why);
	if (rc == 429) {
		explicit_bzero(code, sizeof(code));
		log_audit("limited", masked, req->remote_addr, NULL, "limit=%s retry_after=%ld",
			  why, opts.retry_after);
		if (strstr(why, "HOURLY") != NULL || strstr(why, "DAILY") != NULL)
			log_msg("WARNING: %s reached: no codes are sent to anyone until it "
				"passes (SMS pumping?)",
				why);
		snprintf(msg, sizeof(msg),
			 "Too many codes were asked for. Please wait %ld minute%s and try again.",
			 (opts.retry_after + 59) / 60,
			 (opts.retry_after + 59) / 60 == 1 ? "" : "s");
		reply_error(cfg, 429, "Please wait", msg, 0, &opts);
		goto out;
	}
	if (rc < 0) {
		explicit_bzero(code, sizeof(code));
		log_msg("no code sent to %s: cannot store it", masked);
		reply_error(cfg, 503, "Service unavailable",
			    "We cannot send codes right now. Nothing was sent; please try again "
			    "later.",
			    0, NULL);
		goto out;
	}
	log_audit("requested", masked, req->remote_addr, v.id, "attempts=%d", v.attempts);
	request_text(cfg, code, text, sizeof(text));
	explicit_bzero(code, sizeof(code));
	if (sms_send(cfg, phone, text, &res) < 0) {
		explicit_bzero(text, sizeof(text));
		log_msg("SMS to %s failed: HTTP %ld, error code %s: %s (verification %.8s)", masked,
			res.http_status, res.error_code[0] != '\0' ? res.error_code : "-",
			res.reason, v.id);
		/* The visitor never saw the code: make sure nobody can use it. */
		if (store_fail(st, v.id, v.mac) < 0)
			log_msg("cannot mark verification %.8s failed", v.id);
		reply_error(cfg, 502, "The text message could not be sent",
			    "Our text message provider did not take the message. No code was "
			    "sent. Please try again in a few minutes.",
			    1, NULL);
		goto out;
	}
	explicit_bzero(text, sizeof(text));
	if (store_set_message_id(st, v.id, res.message_id) < 0)
		log_msg("cannot record message id for verification %.8s", v.id);
	log_audit("sent", masked, req->remote_addr, v.id, "message_id=%s", res.message_id);

	request_cookie(req, v.id, cookie, sizeof(cookie));
	opts.set_cookie = cookie;
	p = page_new("verify.html");
	page_set(p, "MASKED_PHONE", masked);
	page_set(p, "VERIFICATION_ID", v.id);
	page_set_int(p, "CODE_LENGTH", cfg->token_length);
	page_set_int(p, "TTL_MINUTES", (cfg->token_ttl + 59) / 60);
	page_set(p, "INPUTMODE", cfg->alphabet == ALPHABET_DIGITS ? "numeric" : "text");
	reply_page(cfg, 200, p, &opts);
out:
	store_close(st);
	free(values[FIELD_PHONE]);
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
		request_form(&cfg, 200, NULL, NULL);
	else
		request_send(&cfg, &req);
	cgi_free(&req);
	config_free(&cfg);
	return 0;
}
