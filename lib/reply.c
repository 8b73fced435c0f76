/*
 * Writing answers.  Every answer is a page from templates/ sent with the
 * headers of cgi_write(), or for a client that asked for JSON the same
 * status with a JSON body; when the templates themselves cannot be read,
 * a fixed page that says only that something went wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "log.h"
#include "reply.h"

static const char reply_fallback[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Service unavailable</title></head>\n<body data-page=\"error\">"
    "<h1>Something went wrong</h1><p>Please try again later.</p></body></html>\n";

static int reply_json_mode;

int
reply_is_json(void)
{
	return reply_json_mode;
}

/* Fill the headers of r from cfg and opts. */
static void
reply_headers(struct cgi_reply *r, const struct config *cfg, int status,
	      const struct reply_opts *opts)
{
	memset(r, 0, sizeof(*r));
	r->status = status;
	if (cfg != NULL && cfg->form_origins != NULL && cfg->form_origins[0] != '\0')
		r->form_origins = cfg->form_origins;
	if (opts != NULL) {
		r->set_cookie = opts->set_cookie;
		r->set_cookie2 = opts->set_cookie2;
		r->location = opts->location;
		r->retry_after = opts->retry_after;
	}
}

void
reply_page(const struct config *cfg, int status, struct page *p, const struct reply_opts *opts)
{
	struct cgi_reply r;
	char *body = NULL;
	size_t len = 0;

	reply_headers(&r, cfg, status, opts);
	page_set_int(p, "STATUS", status);
	if (page_render(p, cfg != NULL ? cfg->template_dir : OTP_TEMPLATE_DEFAULT, &body, &len) <
	    0) {
		reply_headers(&r, cfg, 500, NULL);
		r.body = reply_fallback;
		r.body_len = sizeof(reply_fallback) - 1;
	} else {
		r.body = body;
		r.body_len = len;
	}
	if (cgi_write(&r, stdout) < 0)
		log_msg("cannot write the answer");
	free(body);
	page_free(p);
}

void
reply_json(const struct config *cfg, int status, cJSON *body, const struct reply_opts *opts)
{
	struct cgi_reply r;
	char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL;

	reply_headers(&r, cfg, status, opts);
	r.content_type = "application/json";
	if (text == NULL) {
		r.status = 500;
		r.body = "{\"error\":{\"code\":\"internal\"}}";
	} else
		r.body = text;
	r.body_len = strlen(r.body);
	if (cgi_write(&r, stdout) < 0)
		log_msg("cannot write the answer");
	cJSON_free(text);
	cJSON_Delete(body);
}

void
reply_error(const struct config *cfg, int status, const char *code, const char *title,
	    const char *message, int new_code, const struct reply_opts *opts)
{
	struct page *p;

	if (reply_json_mode) {
		cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");

		cJSON_AddStringToObject(e, "code", code);
		cJSON_AddStringToObject(e, "message", message);
		if (opts != NULL && opts->retry_after > 0)
			cJSON_AddNumberToObject(e, "retry_after", (double)opts->retry_after);
		if (opts != NULL && opts->attempts_left >= 0 && status == 422)
			cJSON_AddNumberToObject(e, "attempts_left", opts->attempts_left);
		reply_json(cfg, status, o, opts);
		return;
	}
	p = page_new("error.html");
	page_set(p, "TITLE", title);
	page_set(p, "MESSAGE", message);
	if (new_code)
		page_show(p, "NEW_CODE");
	reply_page(cfg, status, p, opts);
}

void
reply_unavailable(const struct config *cfg, const char *message)
{
	reply_error(cfg, 503, "unavailable", "Service unavailable", message, 0, NULL);
}

void
reply_limited(const struct config *cfg, const char *what, long retry_after)
{
	struct reply_opts opts = {NULL, NULL, NULL, retry_after, -1};
	long minutes = (retry_after + 59) / 60;
	char msg[160];

	snprintf(msg, sizeof(msg), "Too many %s. Please wait %ld minute%s and try again.", what,
		 minutes, minutes == 1 ? "" : "s");
	reply_error(cfg, 429, "rate_limited", "Please wait", msg, 0, &opts);
}

void
reply_misconfigured(const struct config *cfg)
{
	reply_error(cfg, 500, "misconfigured", "Service not configured",
		    "This service is not set up correctly. The site's owner can find the reason "
		    "in the web server's error log.",
		    0, NULL);
}

void
reply_code_form(const struct config *cfg, int status, const char *id, const char *masked_phone,
		const char *msg, const struct reply_opts *opts)
{
	struct page *p = page_new("verify.html");

	page_set(p, "MASKED_PHONE", masked_phone);
	page_set(p, "VERIFICATION_ID", id);
	page_set_int(p, "CODE_LENGTH", cfg->token_length);
	page_set_int(p, "TTL_MINUTES", (cfg->token_ttl + 59) / 60);
	page_set(p, "INPUTMODE", cfg->alphabet == ALPHABET_DIGITS ? "numeric" : "text");
	if (msg != NULL) {
		page_show(p, "ERROR");
		page_set(p, "ERROR_MESSAGE", msg);
	}
	reply_page(cfg, status, p, opts);
}

/* Whether the client asked for JSON: "application/json" in Accept. */
static int
reply_wants_json(const char *accept)
{
	return accept != NULL && strstr(accept, "application/json") != NULL;
}

int
reply_front(struct cgi_req *req, struct config *cfg)
{
	static const struct {
		int status;
		const char *code, *title, *message;
	} refusals[] = {
	    {405, "method_not_allowed", "Method not allowed",
	     "This address answers only GET and POST."},
	    {400, "bad_request", "Bad request",
	     "The form could not be read. Please go back and try again."},
	    {413, "too_large", "Request too large", "The form sent was too large."},
	    {415, "unsupported_media_type", "Unsupported form",
	     "The form must be sent as an ordinary web form."},
	    {403, "forbidden_origin", "Forbidden", "This form may only be sent from this site."},
	};
	char origin[256];
	size_t i;
	int status;

	cgi_read(req, stdin);
	reply_json_mode = reply_wants_json(req->accept);
	if (config_load(cfg, config_path()) < 0) {
		reply_misconfigured(NULL);
		cgi_free(req);
		return 500;
	}
	log_set_debug(cfg->debug);
	if ((status = cgi_check(req, cfg->site_origin)) == 0)
		return 0;
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].status == status)
			break;
	log_audit(status == 403 ? "refused_origin" : "refused", NULL, req->remote_addr, NULL,
		  "status=%d method=%s origin=%s", status,
		  req->method == CGI_GET    ? "GET"
		  : req->method == CGI_POST ? "POST"
					    : "other",
		  log_value(req->origin != NULL    ? req->origin
			    : req->referer != NULL ? req->referer
						   : "-",
			    origin, sizeof(origin)));
	if (i == sizeof(refusals) / sizeof(refusals[0]))
		i = 1; /* cannot happen: cgi_check() answers only the statuses above */
	reply_error(cfg, status, refusals[i].code, refusals[i].title, refusals[i].message, 0, NULL);
	cgi_free(req);
	config_free(cfg);
	return status;
}
