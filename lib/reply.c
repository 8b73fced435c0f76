/*
 * Writing answers.  Every answer is a page from templates/ sent with the
 * headers of cgi_write(); when the templates themselves cannot be read, a
 * fixed page that says only that something went wrong.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cgi.h"
#include "log.h"
#include "reply.h"

#ifndef OTP_TEMPLATE_DEFAULT
#define OTP_TEMPLATE_DEFAULT "/usr/share/otp/templates"
#endif

static const char reply_fallback[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Service unavailable</title></head>\n<body data-page=\"error\">"
    "<h1>Something went wrong</h1><p>Please try again later.</p></body></html>\n";

void
reply_page(const struct config *cfg, int status, struct page *p, const struct reply_opts *opts)
{
	struct cgi_reply r = {0};
	char *body = NULL;
	size_t len = 0;

	page_set_int(p, "STATUS", status);
	r.status = status;
	if (opts != NULL) {
		r.set_cookie = opts->set_cookie;
		r.retry_after = opts->retry_after;
	}
	if (page_render(p, cfg != NULL ? cfg->template_dir : OTP_TEMPLATE_DEFAULT, &body, &len) <
	    0) {
		r.status = 500;
		r.set_cookie = NULL;
		r.retry_after = 0;
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
reply_error(const struct config *cfg, int status, const char *title, const char *message,
	    int new_code, const struct reply_opts *opts)
{
	struct page *p = page_new("error.html");

	page_set(p, "TITLE", title);
	page_set(p, "MESSAGE", message);
	if (new_code)
		page_show(p, "NEW_CODE");
	reply_page(cfg, status, p, opts);
}

int
reply_front(struct cgi_req *req, struct config *cfg)
{
	static const struct {
		int status;
		const char *title, *message;
	} refusals[] = {
	    {405, "Method not allowed", "This address answers only GET and POST."},
	    {400, "Bad request", "The form could not be read. Please go back and try again."},
	    {413, "Request too large", "The form sent was too large."},
	    {415, "Unsupported form", "The form must be sent as an ordinary web form."},
	    {403, "Forbidden", "This form may only be sent from this site."},
	};
	size_t i;
	int status;

	cgi_read(req, stdin);
	if (config_load(cfg, config_path()) < 0) {
		reply_error(NULL, 500, "Service not configured",
			    "This service is not set up correctly. The site's owner can find "
			    "the reason in the web server's error log.",
			    0, NULL);
		cgi_free(req);
		return 500;
	}
	log_set_debug(cfg->debug);
	if ((status = cgi_check(req)) == 0)
		return 0;
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].status == status)
			break;
	log_msg("refused with %d: client %s, method %s, origin %s", status,
		req->remote_addr != NULL ? req->remote_addr : "-",
		req->method == CGI_GET    ? "GET"
		: req->method == CGI_POST ? "POST"
					  : "other",
		req->origin != NULL    ? req->origin
		: req->referer != NULL ? req->referer
				       : "-");
	if (i < sizeof(refusals) / sizeof(refusals[0]))
		reply_error(cfg, status, refusals[i].title, refusals[i].message, 0, NULL);
	else
		reply_error(cfg, status, "Bad request", "The request could not be handled.", 0,
			    NULL);
	cgi_free(req);
	config_free(cfg);
	return status;
}
