/*
 * verify.cgi: the second step of a verification.
 *
 *	GET	the code form for the visitor's pending verification
 *	POST	token=...&verification_id=...: the core checks the code
 *		(core_check()); for an inbound verification ("I have sent
 *		it") whether its text came, inbound_code the code the page
 *		showed, to show it again
 *
 * The verification is the one named by the form's hidden field, else by
 * the cookie: a code proves only the verification it was sent for.  On
 * success the visitor goes back to the site's return_to, if it gave one,
 * with a signed assertion (assertion.h).  This program never sends
 * anything and does not link libcurl.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgi.h"
#include "config.h"
#include "core.h"
#include "log.h"
#include "reply.h"
#include "serve.h"

enum verify_field {
	FIELD_TOKEN,
	FIELD_ID,
	FIELD_SHOWN,
	FIELD__MAX
};

/*
 * A token is letters and digits, maybe spaced or dashed as people copy
 * codes ("12 34 56"), or empty ("no code entered"); the spaces and dashes
 * are dropped.  Its length and alphabet are not checked here: a wrong
 * one is a wrong try like any other.
 */
static int
verify_token_ok(char **v, const void *arg)
{
	char *s = *v, *w = *v;

	(void)arg;
	if (strlen(s) > OTP_TOKEN_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != ' ' && *s != '-')
			return 0;
	for (s = *v; *s != '\0'; s++)
		if (*s != ' ' && *s != '-')
			*w++ = *s;
	*w = '\0';
	return 1;
}

static const struct cgi_field verify_fields[FIELD__MAX] = {
    [FIELD_TOKEN] = {"token", verify_token_ok, OUTCOME_BAD_CODE_FORM},
    [FIELD_ID] = {"verification_id", cgi_vid_ok, OUTCOME_BAD_CODE_FORM},
    [FIELD_SHOWN] = {"inbound_code", verify_token_ok, OUTCOME_BAD_CODE_FORM},
};

/* POST: the fields at the door, then the core's check. */
static void
verify_post(struct core *core, const struct cgi_req *req, struct core_result *r)
{
	char *v[FIELD__MAX], vid[OTP_ID_LEN + 1];
	size_t bad, i;

	if (cgi_form(req->body, req->body_len, verify_fields, FIELD__MAX, NULL, v, &bad) != 0)
		core_result_init(r, OUTCOME_BAD_CODE_FORM);
	else if (!cgi_vid(req, v[FIELD_ID], vid))
		core_result_init(r, OUTCOME_NO_VERIFICATION);
	else
		core_check(core, vid, v[FIELD_TOKEN], v[FIELD_SHOWN], time(NULL), r);
	for (i = 0; i < FIELD__MAX; i++) {
		if (v[i] != NULL)
			explicit_bzero(v[i], strlen(v[i]));
		free(v[i]);
	}
}

/* One request: the state of the visitor's verification, or a check. */
static void
verify_handle(struct reply *rp, struct cgi_req *req, struct core *core)
{
	char vid[OTP_ID_LEN + 1];
	struct core_result r;

	if (req->method == CGI_GET)
		core_status(core, cgi_vid(req, NULL, vid) ? vid : NULL, time(NULL), &r);
	else
		verify_post(core, req, &r);
	reply_answer(rp, &r, NULL);
	explicit_bzero(&r, sizeof(r));
}

int
main(void)
{
	return serve("verify.cgi", verify_handle);
}
