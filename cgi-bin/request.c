/*
 * request.cgi: the first step of a verification.
 *
 *	GET	the phone form; ?return_to=/path sends the visitor back there
 *		with a signed assertion when done, ?phone= fills the number
 *		in, and with phone_sig= (or phone_jwt=, a JWT the site
 *		signs: jwt.h) the site fixes it
 *	POST	phone=...: the core makes, stores and sends a code
 *		(core_start()); the answer is the code form.  resend=1 with
 *		the verification_id instead of a phone: a new code to that
 *		verification's number (the code form's "send a new code now"
 *		after Telnyx reported the text undelivered).  channel=inbound
 *		(CHANNELS): nothing is sent, the answer shows a code for the
 *		visitor to text to INBOUND_NUMBER.  channel=voice: a call
 *		(the code page's "Call me instead", resend=1 with the
 *		verification_id; or a number refused for texts, a fixed
 *		line), which speaks the code or asks for a 1 (VOICE_MODE)
 *
 * A front line: reply_front(), the fields checked at the door, the core,
 * and reply_answer() turns what happened into the page or JSON.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assertion.h"
#include "cgi.h"
#include "config.h"
#include "core.h"
#include "jwt.h"
#include "log.h"
#include "number.h"
#include "reply.h"
#include "serve.h"

/* In the order they are checked: return_to first, as its refusal is no form. */
enum request_field {
	FIELD_RETURN_TO,
	FIELD_PHONE,
	FIELD_PHONE_SIG,
	FIELD_PHONE_JWT,
	FIELD_ID,
	FIELD_RESEND,
	FIELD_CHANNEL,
	FIELD__MAX
};

/* channel: sms, inbound or voice, "" or absent for the site's first. */
static int
request_channel_ok(char **v, const void *arg)
{
	(void)arg;
	return (*v)[0] == '\0' || !strcmp(*v, "sms") || !strcmp(*v, "inbound") ||
	       !strcmp(*v, "voice");
}

/* The phone as typed, short enough to be one; request_number() parses it. */
static int
request_phone_ok(char **v, const void *arg)
{
	(void)arg;
	return strlen(*v) <= OTP_PHONE_TYPED_MAX;
}

/*
 * The typed number in *phone, parsed into *n and replaced by its E.164
 * form.  Returns OUTCOME_READY or the refusal.  The first call loads
 * libphonenumber: only requests that carry a number come here.
 */
static enum outcome
request_number(const struct config *cfg, char **phone, struct phone_number *n)
{
	switch (number_parse(*phone, cfg->default_region, cfg->country_code, n)) {
	case PHONE_OK:
		free(*phone);
		*phone = xstrdup(n->e164);
		return OUTCOME_READY;
	case PHONE_NOT_A_NUMBER:
		return OUTCOME_INVALID_PHONE;
	case PHONE_INVALID:
		return OUTCOME_NO_SUCH_NUMBER;
	case PHONE_BAD_REGION:
		log_msg("%s: DEFAULT_REGION (or COUNTRY_CODE) names no region libphonenumber knows",
			cfg->path);
		return OUTCOME_MISCONFIGURED;
	case PHONE_UNAVAILABLE: /* logged */
		return OUTCOME_MISCONFIGURED;
	default: /* PHONE_FAILED, logged: out of memory, say */
		return OUTCOME_UNAVAILABLE_SEND;
	}
}

/* A return_to the policy allows ("" is none). */
static int
request_return_to_ok(char **v, const void *arg)
{
	if ((*v)[0] == '\0') {
		free(*v);
		*v = NULL;
		return 1;
	}
	return return_to_ok(&((const struct config *)arg)->return_to, *v);
}

static const struct cgi_field request_fields[FIELD__MAX] = {
    [FIELD_RETURN_TO] = {"return_to", request_return_to_ok, OUTCOME_BAD_RETURN_TO},
    [FIELD_PHONE] = {"phone", request_phone_ok, OUTCOME_INVALID_PHONE},
    [FIELD_PHONE_SIG] = {"phone_sig", NULL, OUTCOME_BAD_SIGNATURE}, /* checked against phone */
    [FIELD_PHONE_JWT] = {"phone_jwt", NULL, OUTCOME_BAD_SIGNATURE}, /* ... as phone_sig is */
    [FIELD_ID] = {"verification_id", cgi_vid_ok, OUTCOME_BAD_PHONE_FORM},
    [FIELD_RESEND] = {"resend", NULL, OUTCOME_BAD_PHONE_FORM},
    [FIELD_CHANNEL] = {"channel", request_channel_ok, OUTCOME_CHANNEL},
};

/* The way a start asks for (CHANNEL_*): channel, or the site's first
 * (a text; inbound where it sends none). */
static unsigned
request_way(const struct config *cfg, const char *channel)
{
	if (channel == NULL || channel[0] == '\0')
		return cfg->channels & CHANNEL_SMS ? CHANNEL_SMS : CHANNEL_INBOUND;
	return !strcmp(channel, "inbound") ? CHANNEL_INBOUND
	       : !strcmp(channel, "voice") ? CHANNEL_VOICE
					   : CHANNEL_SMS;
}

/*
 * resend: the number of the visitor's verification into *phone, which
 * the code form does not carry (a page shows a number masked only), and
 * its id into rp.
 * Returns OUTCOME_READY or the refusal.
 */
static enum outcome
request_resend(struct reply *rp, struct core *core, char **v)
{
	char vid[OTP_ID_LEN + 1], e164[OTP_PHONE_MAX + 1];

	if (!cgi_vid(rp->req, v[FIELD_ID], vid))
		return OUTCOME_NO_VERIFICATION;
	switch (core_number(core, vid, e164)) {
	case 1:
		free(v[FIELD_PHONE]);
		v[FIELD_PHONE] = xstrdup(e164);
		/* A refusal's page may offer the other way for it. */
		snprintf(rp->vid, sizeof(rp->vid), "%s", vid);
		return OUTCOME_READY;
	case 0:
		return OUTCOME_NO_VERIFICATION;
	default:
		return OUTCOME_UNAVAILABLE_SEND;
	}
}

/*
 * phone_jwt: the site's JWT of the number (jwt_phone_ok()).  Once it
 * checks, the pages carry the number fixed as phone_sig, which this
 * program signs itself (the forms have one field for it).  Returns
 * OUTCOME_READY, or the refusal.
 */
static enum outcome
request_phone_jwt(const struct config *cfg, char **v)
{
	char sig[2 * OTP_MAC_LEN + 1];

	if (cfg->signing_key == NULL ||
	    !jwt_phone_ok(cfg->signing_key, v[FIELD_PHONE], v[FIELD_PHONE_JWT], time(NULL)))
		return OUTCOME_BAD_SIGNATURE;
	if (v[FIELD_PHONE_SIG] == NULL) {
		if (assertion_phone_sig(cfg->signing_key, v[FIELD_PHONE], sig) < 0)
			return OUTCOME_BAD_SIGNATURE;
		v[FIELD_PHONE_SIG] = xstrdup(sig);
	}
	return OUTCOME_READY;
}

/*
 * The fields of a GET query or a POST body, checked into rp (what the
 * form shows again) and v.  Returns the refusal, or OUTCOME_READY.
 */
static enum outcome
request_door(struct reply *rp, struct core *core, const char *s, size_t len, int post, char **v,
	     struct phone_number *n)
{
	const struct config *cfg = rp->cfg;
	enum outcome o;
	size_t bad;
	int resend;

	if (cgi_form(s, len, request_fields, FIELD__MAX, cfg, v, &bad) != 0) {
		rp->typed = bad == FIELD_PHONE ? v[FIELD_PHONE] : NULL;
		return bad < FIELD__MAX ? request_fields[bad].refusal : OUTCOME_BAD_PHONE_FORM;
	}
	rp->typed = v[FIELD_PHONE];
	if ((rp->return_to = v[FIELD_RETURN_TO]) != NULL && cfg->signing_key == NULL &&
	    cfg->signing_key_file == NULL) {
		log_msg("%s: missing SIGNING_KEY (needed for return_to)", cfg->path);
		return OUTCOME_MISCONFIGURED;
	}
	resend = post && v[FIELD_RESEND] != NULL &&
		 (v[FIELD_PHONE] == NULL || v[FIELD_PHONE][0] == '\0');
	if (resend && (o = request_resend(rp, core, v)) != OUTCOME_READY)
		return o;
	if (v[FIELD_PHONE] == NULL || v[FIELD_PHONE][0] == '\0') {
		rp->typed = NULL;
		return v[FIELD_PHONE_SIG] != NULL || v[FIELD_PHONE_JWT] != NULL || post
			   ? OUTCOME_MISSING_PHONE
			   : OUTCOME_READY;
	}
	o = request_number(cfg, &v[FIELD_PHONE], n);
	/* A phone form shown again shows what the visitor typed, never the stored number. */
	rp->typed = resend ? NULL : v[FIELD_PHONE];
	if (o != OUTCOME_READY)
		return o;
	if (v[FIELD_PHONE_JWT] != NULL && (o = request_phone_jwt(cfg, v)) != OUTCOME_READY) {
		rp->typed = NULL;
		return o;
	}
	if (v[FIELD_PHONE_SIG] != NULL) {
		if (cfg->signing_key == NULL ||
		    !assertion_phone_sig_ok(cfg->signing_key, v[FIELD_PHONE], v[FIELD_PHONE_SIG])) {
			rp->typed = NULL;
			return OUTCOME_BAD_SIGNATURE;
		}
		rp->phone = v[FIELD_PHONE];
		rp->phone_sig = v[FIELD_PHONE_SIG];
	}
	return OUTCOME_READY;
}

/* One request: the door, then for a POST the core's start. */
static void
request_handle(struct reply *rp, struct cgi_req *req, struct core *core)
{
	char *v[FIELD__MAX] = {NULL}, vid[OTP_ID_LEN + 1];
	struct core_start_in in;
	struct core_result r;
	struct phone_number n;
	int post = req->method == CGI_POST;
	size_t i;

	memset(&n, 0, sizeof(n));
	if (post)
		core_result_init(&r, request_door(rp, core, req->body, req->body_len, 1, v, &n));
	else
		core_result_init(&r, request_door(rp, core, req->query,
						  req->query != NULL ? strlen(req->query) : 0, 0, v,
						  &n));
	if (post && r.outcome == OUTCOME_READY) {
		in.number = &n;
		in.client = req->remote_addr;
		in.vid = cgi_vid(req, v[FIELD_ID], vid) ? vid : NULL;
		in.return_to = v[FIELD_RETURN_TO];
		in.way = request_way(rp->cfg, v[FIELD_CHANNEL]);
		in.lang = rp->lang;
		in.now = time(NULL);
		core_start(core, &in, &r);
	}
	reply_answer(rp, &r, NULL);
	explicit_bzero(&r, sizeof(r));
	for (i = 0; i < FIELD__MAX; i++)
		free(v[i]);
}

int
main(void)
{
	return serve("request.cgi", request_handle);
}
