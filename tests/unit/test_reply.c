/*
 * The answer table: every outcome has a row, answers its status in HTML
 * and in JSON with the page or error code of its row, and carries the
 * headers that go with it (Retry-After, Allow, the verification cookie,
 * a 303 back to the site); one audit line where the row names an event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgi.h"
#include "config.h"
#include "core.h"
#include "reply.h"
#include "unit.h"

#define VID "00112233445566778899aabbccddeeff"

static struct config cfg;

static int
setup(void **state)
{
	char conf[1024], cwd[512];
	int n;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	n = snprintf(conf, sizeof(conf),
		     "SECRET_KEY='reply-test-secret-0123'\nSMS_TRANSPORT=outbox\n"
		     "OUTBOX_PATH=/nonexistent/outbox\nTEMPLATE_DIR=%s/templates\n"
		     "SIGNING_KEY='reply-test-signing-0123'\n",
		     cwd);
	return config_parse(&cfg, conf, (size_t)n, "test");
}

static int
teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	return 0;
}

/* The answer to r, JSON or HTML, as a string (caller frees); *log gets the log. */
static char *
answer(const struct core_result *r, int json, char **log)
{
	static struct cgi_req req;
	struct reply rp;
	char *out = NULL;
	size_t len = 0;

	req.script_name = "/cgi-bin/verify.cgi";
	req.remote_addr = "203.0.113.9";
	memset(&rp, 0, sizeof(rp));
	rp.cfg = &cfg;
	rp.req = &req;
	rp.json = json;
	assert_non_null(rp.out = open_memstream(&out, &len));
	unit_cap_begin();
	reply_answer(&rp, r, NULL);
	*log = unit_cap_end();
	fclose(rp.out);
	return out;
}

/* A result for o with every field a front end may show. */
static void
result(struct core_result *r, enum outcome o)
{
	core_result_init(r, o);
	snprintf(r->vid, sizeof(r->vid), "%s", VID);
	snprintf(r->masked, sizeof(r->masked), "+12*******43");
	r->retry_after = o == OUTCOME_LIMITED_SENDS || o == OUTCOME_LIMITED_GUESSES ? 90 : 0;
	r->expires_in = 300;
	r->attempts_left = o == OUTCOME_WRONG || o == OUTCOME_PENDING ? 2 : -1;
}

static void
test_every_outcome_answers_its_row(void **state)
{
	struct core_result r;
	char status[32], code[64], *out, *log;
	int o, json;

	(void)state;
	for (o = 0; o < OUTCOME__MAX; o++) {
		/* A missing row would answer status 0. */
		assert_true(reply_status(o) >= 200 && reply_status(o) < 600);
		for (json = 0; json < 2; json++) {
			result(&r, o);
			out = answer(&r, json, &log);
			snprintf(status, sizeof(status), "Status: %d ", reply_status(o));
			if (strncmp(out, status, strlen(status)) != 0)
				fail_msg("outcome %d (json %d): %.40s", o, json, out);
			if (json && reply_code(o) != NULL) {
				snprintf(code, sizeof(code), "{\"error\":{\"code\":\"%s\"",
					 reply_code(o));
				assert_non_null(strstr(out, code));
			} else if (json)
				assert_non_null(strstr(out, "{\"status\":\""));
			else
				assert_non_null(strstr(out, "<!DOCTYPE html>"));
			/* At most one audit line; none carries the whole id. */
			assert_true(strstr(log, " audit ") == NULL ||
				    strstr(strstr(log, " audit ") + 1, " audit ") == NULL);
			assert_null(strstr(log, VID));
			free(out);
			free(log);
		}
	}
}

static void
test_headers_of_the_row(void **state)
{
	struct core_result r;
	char *out, *log;

	(void)state;
	result(&r, OUTCOME_LIMITED_SENDS);
	out = answer(&r, 0, &log);
	assert_non_null(strstr(out, "Retry-After: 90\r\n"));
	assert_non_null(strstr(out, "Please wait 2 minutes"));
	assert_non_null(strstr(log, "event=limited"));
	free(out);
	free(log);
	out = answer(&r, 1, &log);
	assert_non_null(strstr(out, "\"retry_after\":90"));
	free(out);
	free(log);

	result(&r, OUTCOME_METHOD);
	out = answer(&r, 0, &log);
	assert_non_null(strstr(out, "Allow: GET, POST\r\n"));
	free(out);
	free(log);

	result(&r, OUTCOME_WRONG);
	out = answer(&r, 1, &log);
	assert_non_null(strstr(out, "\"attempts_left\":2"));
	assert_null(strstr(out, "Set-Cookie"));
	free(out);
	free(log);
	out = answer(&r, 0, &log);
	assert_non_null(strstr(out, "2 tries left."));
	free(out);
	free(log);

	result(&r, OUTCOME_SENT);
	out = answer(&r, 0, &log);
	assert_non_null(strstr(out, "Set-Cookie: otp_vid=" VID "; Path=/cgi-bin/; HttpOnly"));
	assert_non_null(strstr(log, "event=sent"));
	free(out);
	free(log);

	result(&r, OUTCOME_INVALID_PHONE);
	out = answer(&r, 0, &log);
	assert_non_null(strstr(log, "event=refused"));
	assert_non_null(strstr(log, "status=400 reason=invalid_phone"));
	free(out);
	free(log);
}

static void
test_approved_goes_back_to_the_site(void **state)
{
	struct core_result r;
	char *out, *log;

	(void)state;
	result(&r, OUTCOME_APPROVED);
	snprintf(r.assertion, sizeof(r.assertion), "v1.payload.mac");
	snprintf(r.return_to, sizeof(r.return_to), "/account/done?state=s#top");
	out = answer(&r, 0, &log);
	assert_true(strncmp(out, "Status: 303 ", 12) == 0);
	assert_non_null(
	    strstr(out, "Location: /account/done?state=s&otp_assertion=v1.payload.mac#top\r\n"));
	assert_non_null(strstr(out, "Set-Cookie: otp_vid=; Path=/cgi-bin/; Max-Age=0;"));
	free(out);
	free(log);
	/* JSON hands the assertion over instead. */
	out = answer(&r, 1, &log);
	assert_true(strncmp(out, "Status: 200 ", 12) == 0);
	assert_non_null(strstr(out, "\"assertion\":\"v1.payload.mac\""));
	assert_null(strstr(out, "Location:"));
	free(out);
	free(log);
	/* Without an assertion there is no way back: the success page. */
	r.assertion[0] = '\0';
	out = answer(&r, 0, &log);
	assert_true(strncmp(out, "Status: 200 ", 12) == 0);
	free(out);
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_outcome_answers_its_row),
	    cmocka_unit_test(test_headers_of_the_row),
	    cmocka_unit_test(test_approved_goes_back_to_the_site),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
