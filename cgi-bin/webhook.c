/*
 * webhook.cgi: what Telnyx reports back about the messages sent.
 *
 *	POST	a webhook (JSON), signed: telnyx-signature-ed25519 is the
 *		base64 Ed25519 signature of telnyx-timestamp "|" body, by the
 *		account's key (TELNYX_PUBLIC_KEY)
 *
 * Nothing is read from a webhook before its signature and timestamp are
 * checked.  Answers are small JSON for Telnyx, which sends an event again
 * until it gets a 2xx: 200 for an event taken, one seen before, or one of
 * a type not used here; 401 for a missing or bad signature or a stale
 * timestamp, 400 for a body that is not an event, 413 over 64 KiB, 405
 * for another method, 500 without TELNYX_PUBLIC_KEY, 503 when the
 * database fails (then Telnyx's retry is what we want).  No libcurl and no
 * libphonenumber: it sends nothing and parses no typed number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgi.h"
#include "config.h"
#include "core.h"
#include "log.h"
#include "serve.h"
#include "webhook.h"

/* Longest signature or timestamp header looked at: base64 of 64 bytes is 88. */
#define WEBHOOK_HEADER_MAX 256

/* Header name as the server passes it, or NULL when absent or too long. */
static const char *
webhook_header(const struct cgi_req *req, const char *name)
{
	const char *v = cgi_param(req->env, name);

	return v != NULL && strnlen(v, WEBHOOK_HEADER_MAX + 1) <= WEBHOOK_HEADER_MAX ? v : NULL;
}

/*
 * The answer: status, and {"status": what} for a 200 or {"error":
 * {"code": what}} for a refusal, which is also one audit line.
 */
static void
webhook_answer(FILE *out, const struct cgi_req *req, int status, const char *what)
{
	char body[128];
	struct cgi_reply hdr;
	int n;

	if (status != 200)
		log_audit("webhook_refused", NULL, req->remote_addr, NULL, "status=%d reason=%s",
			  status, what);
	n = snprintf(body, sizeof(body),
		     status == 200 ? "{\"status\":\"%s\"}\n" : "{\"error\":{\"code\":\"%s\"}}\n",
		     what);
	memset(&hdr, 0, sizeof(hdr));
	hdr.status = status;
	hdr.content_type = "application/json";
	hdr.allow = "POST";
	hdr.body = body;
	hdr.body_len = (size_t)n;
	if (cgi_write(&hdr, out) < 0)
		log_msg("cannot write the answer");
}

/* The checks of the front line, in order.  0, or the status answered. */
static int
webhook_front(const struct config *cfg, const struct cgi_req *req, FILE *out,
	      unsigned char key[WEBHOOK_KEY_LEN])
{
	const char *sig, *ts;

	if (cfg == NULL) {
		webhook_answer(out, req, 500, "misconfigured");
		return 500;
	}
	if (req->method != CGI_POST) {
		webhook_answer(out, req, 405, "method_not_allowed");
		return 405;
	}
	if (req->read_status == 413 || req->read_status == 400) {
		webhook_answer(out, req, req->read_status,
			       req->read_status == 413 ? "too_large" : "bad_request");
		return req->read_status;
	}
	if (cfg->telnyx_public_key == NULL || webhook_key_parse(cfg->telnyx_public_key, key) < 0) {
		log_msg("%s: missing TELNYX_PUBLIC_KEY (needed for webhook.cgi)", cfg->path);
		webhook_answer(out, req, 500, "misconfigured");
		return 500;
	}
	sig = webhook_header(req, "HTTP_TELNYX_SIGNATURE_ED25519");
	ts = webhook_header(req, "HTTP_TELNYX_TIMESTAMP");
	switch (webhook_verify(key, ts, sig, req->body != NULL ? req->body : "", req->body_len,
			       time(NULL))) {
	case WEBHOOK_OK:
		return 0;
	case WEBHOOK_MISSING:
		webhook_answer(out, req, 401, "missing_signature");
		return 401;
	case WEBHOOK_STALE:
		webhook_answer(out, req, 401, "stale_timestamp");
		return 401;
	case WEBHOOK_BAD_SIGNATURE:
		webhook_answer(out, req, 401, "bad_signature");
		return 401;
	default:
		log_msg("cannot check a webhook's signature: out of memory?");
		webhook_answer(out, req, 503, "unavailable");
		return 503;
	}
}

static void
webhook_handle(const struct config *cfg, struct cgi_req *req, FILE *out, struct core *core)
{
	unsigned char key[WEBHOOK_KEY_LEN];
	struct webhook_event ev;

	if (webhook_front(cfg, req, out, key) != 0)
		return;
	if (webhook_parse(req->body != NULL ? req->body : "", req->body_len, &ev) < 0) {
		webhook_answer(out, req, 400, "not_an_event");
		return;
	}
	switch (core_webhook(core, &ev, time(NULL))) {
	case HOOK_TAKEN:
		webhook_answer(out, req, 200, "ok");
		break;
	case HOOK_SEEN:
		webhook_answer(out, req, 200, "duplicate");
		break;
	case HOOK_IGNORED:
		log_debug("webhook %s ignored", ev.type);
		webhook_answer(out, req, 200, "ignored");
		break;
	default:
		webhook_answer(out, req, 503, "unavailable");
		break;
	}
	explicit_bzero(&ev, sizeof(ev));
}

int
main(void)
{
	return serve_raw("webhook.cgi", WEBHOOK_BODY_MAX, webhook_handle);
}
