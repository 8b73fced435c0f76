/*
 * The verification core and the reply path in one process, as a FastCGI
 * loop would run them: 10,000 requests (start and check, with wrong codes
 * among them) through one struct core, JSON and HTML interleaved, each
 * answer checked for what it must and must not carry.  Under ASan with
 * leak checking (the .asan build) this also proves nothing leaks; the
 * assertions prove nothing of one request reaches the next.
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
#include "number.h"
#include "phone.h"
#include "reply.h"
#include "unit.h"

#define REQUESTS 10000

struct fixture {
	char dir[256], outbox[300];
	struct config cfg;
	struct core core;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char conf[2048], cwd[1024];
	int n;

	assert_non_null(f);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	unit_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->outbox, sizeof(f->outbox), "%s/outbox", f->dir);
	n = snprintf(
	    conf, sizeof(conf),
	    "SECRET_KEY='core-test-secret-0123456789'\n"
	    "SIGNING_KEY='core-test-signing-0123456789'\n"
	    "SMS_TRANSPORT=outbox\nOUTBOX_PATH=%s\nDB_PATH=%s/otp.db\n"
	    "TEMPLATE_DIR=%s/templates\nTOKEN_ALPHABET=digits\nTOKEN_LENGTH=10\nMAX_ATTEMPTS=3\n"
	    "RESEND_AFTER=0\nPHONE_SEND_LIMIT=1000\nIP_SEND_LIMIT=1000000\n"
	    "NETWORK_SEND_LIMIT=1000000\nPHONE_NETWORK_LIMIT=1000\n"
	    "HOURLY_SEND_LIMIT=1000000\nDAILY_SEND_LIMIT=10000000\n"
	    "PHONE_FAILURE_LIMIT=100\n",
	    f->outbox, f->dir, cwd);
	assert_true(n > 0 && (size_t)n < sizeof(conf));
	assert_int_equal(config_parse(&f->cfg, conf, (size_t)n, "test"), 0);
	core_init(&f->core, &f->cfg);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *log;

	/* A failed assertion left the log captured: show its end. */
	if (unit_cap_saved >= 0) {
		log = unit_cap_end();
		fprintf(stderr, "%s\n", strlen(log) > 2000 ? log + strlen(log) - 2000 : log);
		free(log);
	}
	core_close(&f->core);
	config_free(&f->cfg);
	unit_rmtree(f->dir);
	free(f);
	return 0;
}

/* A North American number of type as number_parse() gives it. */
static void
nanp(struct phone_number *n, const char *e164, int type)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->e164, sizeof(n->e164), "%s", e164);
	snprintf(n->region, sizeof(n->region), "US");
	snprintf(n->home_region, sizeof(n->home_region), "US");
	n->calling_code = n->home = 1;
	n->type = (enum phone_type)type;
	snprintf(n->national, sizeof(n->national), "(%.3s) %.3s-%.4s", e164 + 2, e164 + 5,
		 e164 + 8);
}

/* The code of the one message in the outbox, which is then emptied. */
static void
take_code(const struct fixture *f, char *code, size_t size)
{
	char *box = unit_read_file(f->outbox, NULL), *p;
	size_t n;

	assert_non_null(box);
	/* {"to":...,"text":"<code> is your verification code. ..."} */
	p = strstr(box, "\"text\":\"");
	assert_non_null(p);
	p += 8;
	n = strspn(p, "0123456789");
	assert_true(n == 10 && n < size); /* no 10 digits stand in an id by chance */
	memcpy(code, p, n);
	code[n] = '\0';
	assert_null(strstr(p, "Your token is ")); /* one message only */
	free(box);
	assert_int_equal(unlink(f->outbox), 0);
}

/*
 * Answer r as request req would be answered (json or not) into a string
 * (caller frees).
 */
static char *
answer(const struct fixture *f, const struct cgi_req *req, int json, const struct core_result *r)
{
	struct reply rp;
	char *out = NULL;
	size_t len = 0;

	memset(&rp, 0, sizeof(rp));
	rp.cfg = &f->cfg;
	rp.req = req;
	rp.json = json;
	rp.out = open_memstream(&out, &len);
	assert_non_null(rp.out);
	reply_answer(&rp, r, NULL);
	fclose(rp.out);
	return out;
}

/* What every answer must be: the status, JSON or HTML as asked, no code. */
static void
assert_answer(const char *out, int status, int json, const char *code)
{
	char line[32];

	snprintf(line, sizeof(line), "Status: %d ", status);
	assert_true(strncmp(out, line, strlen(line)) == 0);
	if (json)
		assert_non_null(strstr(out, "Content-Type: application/json\r\n"));
	else
		assert_non_null(strstr(out, "Content-Type: text/html; charset=utf-8\r\n"));
	assert_null(strstr(out, json ? "<html" : "\"status\""));
	assert_null(strstr(out, code));
}

static void
test_ten_thousand_requests(void **state)
{
	struct fixture *f = *state;
	char phone[16], addr[32], code[16], wrong[16],
	    last_vid[OTP_ID_LEN + 1] = "-no-verification-yet-";
	struct core_start_in in;
	struct core_result r;
	struct phone_number n;
	struct cgi_req req;
	char *out, *log;
	int i, requests = 0;

	memset(&req, 0, sizeof(req));
	memset(&in, 0, sizeof(in));
	req.script_name = "/cgi-bin/request.cgi";
	if (getenv("OTP_TEST_VERBOSE") == NULL)
		unit_cap_begin(); /* 10,000 audit lines */
	for (i = 0; requests < REQUESTS; i++) {
		int json = i % 2, wrong_first = i % 7 == 0;

		snprintf(phone, sizeof(phone), "+1202555%04d", i % 10000);
		snprintf(addr, sizeof(addr), "10.%d.%d.1", (i / 250) % 250, i % 250);
		req.remote_addr = addr;
		nanp(&n, phone, PHONE_FIXED_LINE_OR_MOBILE);
		in.number = &n;
		in.client = addr;
		in.way = CHANNEL_SMS;
		in.vid = NULL;
		in.return_to = i % 3 == 0 ? "/account/done?state=x" : NULL;
		in.now = time(NULL);
		core_start(&f->core, &in, &r);
		assert_int_equal(r.outcome, OUTCOME_SENT);
		assert_string_not_equal(r.vid, last_vid);
		take_code(f, code, sizeof(code));
		out = answer(f, &req, json, &r);
		assert_answer(out, 200, json, code);
		assert_non_null(strstr(out, r.vid));
		assert_null(strstr(out, last_vid)); /* nothing of the last request */
		assert_non_null(strstr(out, "Set-Cookie: otp_vid="));
		free(out);
		snprintf(last_vid, sizeof(last_vid), "%s", r.vid);
		requests++;

		if (wrong_first) {
			snprintf(wrong, sizeof(wrong), "%s", code);
			wrong[9] = wrong[9] == '9' ? '0' : (char)(wrong[9] + 1);
			core_check(&f->core, last_vid, wrong, NULL, time(NULL), &r);
			assert_int_equal(r.outcome, OUTCOME_WRONG);
			assert_int_equal(r.attempts_left, 2);
			out = answer(f, &req, !json, &r);
			assert_answer(out, 422, !json, code);
			assert_null(strstr(out, "Set-Cookie"));
			assert_null(strstr(out, "Retry-After"));
			free(out);
			requests++;
		}
		core_check(&f->core, last_vid, code, NULL, time(NULL), &r);
		assert_int_equal(r.outcome, OUTCOME_APPROVED);
		assert_int_equal(strncmp(r.assertion, "v1.", 3), 0);
		out = answer(f, &req, !json, &r);
		assert_answer(out, json && i % 3 == 0 ? 303 : 200, !json, code);
		assert_non_null(strstr(out, "otp_vid=;")); /* the cookie cleared */
		if (i % 3 != 0)
			assert_null(strstr(out, "Location:"));
		free(out);
		requests++;
		explicit_bzero(code, sizeof(code));
	}
	if (getenv("OTP_TEST_VERBOSE") == NULL) {
		log = unit_cap_end();
		assert_null(strstr(log, "database error"));
		free(log);
	}
	/* A used code, once more: dead, whatever was answered before. */
	core_check(&f->core, last_vid, "0000000000", NULL, time(NULL), &r);
	assert_int_equal(r.outcome, OUTCOME_DEAD);
}

/* A code for phone at now, on verification vid (NULL: a new one); its id into out. */
static void
start_at(struct fixture *f, const char *phone, const char *vid, time_t now, char *code, size_t size,
	 char out[OTP_ID_LEN + 1])
{
	struct core_start_in in;
	struct core_result r;
	struct phone_number n;

	memset(&in, 0, sizeof(in));
	nanp(&n, phone, PHONE_MOBILE);
	in.number = &n;
	in.client = "10.77.0.1";
	in.way = CHANNEL_SMS;
	in.vid = vid;
	in.now = now;
	core_start(&f->core, &in, &r);
	assert_int_equal(r.outcome, OUTCOME_SENT);
	/* The core shows the number as the front parsed it, masked. */
	assert_string_equal(r.shown + strlen(r.shown) - 3, phone + strlen(phone) - 3);
	assert_int_equal(strncmp(r.shown, "(20*) ***-*", 11), 0);
	take_code(f, code, size);
	snprintf(out, OTP_ID_LEN + 1, "%s", r.vid);
}

static enum outcome
check_at(struct fixture *f, const char *vid, const char *code, time_t now)
{
	struct core_result r;

	core_check(&f->core, vid, code, NULL, now, &r);
	return r.outcome;
}

/*
 * Issue 10: a new code for the same verification keeps the one before
 * good until its own expiry (the first text may come late): either
 * verifies, a wrong try counts against both, using one kills both, and
 * two at most are live.  TOKEN_TTL is 300 here, MAX_ATTEMPTS 3.
 */
static void
test_late_code(void **state)
{
	struct fixture *f = *state;
	char a[16], b[16], c[16], vid[OTP_ID_LEN + 1], again[OTP_ID_LEN + 1];
	const time_t t = time(NULL);

	unit_cap_begin();
	/* The first code works after a second one was sent... */
	start_at(f, "+12025550171", NULL, t, a, sizeof(a), vid);
	start_at(f, "+12025550171", vid, t + 60, b, sizeof(b), again);
	assert_string_equal(again, vid);
	assert_string_not_equal(a, b);
	assert_int_equal(check_at(f, vid, a, t + 90), OUTCOME_APPROVED);
	/* ... and uses up the second with it. */
	assert_int_equal(check_at(f, vid, b, t + 91), OUTCOME_DEAD);

	/* The second works too, and uses up the first. */
	start_at(f, "+12025550172", NULL, t, a, sizeof(a), vid);
	start_at(f, "+12025550172", vid, t + 60, b, sizeof(b), again);
	assert_int_equal(check_at(f, vid, b, t + 90), OUTCOME_APPROVED);
	assert_int_equal(check_at(f, vid, a, t + 91), OUTCOME_DEAD);

	/* The first only until its own expiry (t + 300); the second lives on. */
	start_at(f, "+12025550173", NULL, t, a, sizeof(a), vid);
	start_at(f, "+12025550173", vid, t + 60, b, sizeof(b), again);
	assert_int_equal(check_at(f, vid, a, t + 300), OUTCOME_WRONG);
	assert_int_equal(check_at(f, vid, b, t + 301), OUTCOME_APPROVED);

	/* Wrong tries count against both: 2 wrong, then a third kills both. */
	start_at(f, "+12025550174", NULL, t, a, sizeof(a), vid);
	start_at(f, "+12025550174", vid, t + 60, b, sizeof(b), again);
	assert_int_equal(check_at(f, vid, "0000000000", t + 61), OUTCOME_WRONG);
	assert_int_equal(check_at(f, vid, "0000000001", t + 62), OUTCOME_WRONG);
	assert_int_equal(check_at(f, vid, "0000000002", t + 63), OUTCOME_LOCKED);
	assert_int_equal(check_at(f, vid, a, t + 64), OUTCOME_DEAD);
	assert_int_equal(check_at(f, vid, b, t + 65), OUTCOME_DEAD);

	/* Two live codes at most: a third request drops the first. */
	start_at(f, "+12025550175", NULL, t, a, sizeof(a), vid);
	start_at(f, "+12025550175", vid, t + 60, b, sizeof(b), again);
	start_at(f, "+12025550175", vid, t + 120, c, sizeof(c), again);
	assert_int_equal(check_at(f, vid, a, t + 121), OUTCOME_WRONG);
	assert_int_equal(check_at(f, vid, b, t + 122), OUTCOME_APPROVED);
	assert_int_equal(check_at(f, vid, c, t + 123), OUTCOME_DEAD);

	/* A code asked for after the first expired: the first stays dead. */
	start_at(f, "+12025550176", NULL, t, a, sizeof(a), vid);
	assert_int_equal(check_at(f, vid, "0000000000", t + 301), OUTCOME_EXPIRED);
	start_at(f, "+12025550176", vid, t + 400, b, sizeof(b), again);
	assert_string_equal(again, vid);
	assert_int_equal(check_at(f, vid, a, t + 401), OUTCOME_WRONG);
	assert_int_equal(check_at(f, vid, b, t + 402), OUTCOME_APPROVED);
	free(unit_cap_end());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ten_thousand_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_late_code, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
