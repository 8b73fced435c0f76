/*
 * Phone numbers as the world writes them, parsed by libphonenumber
 * through the wrapper request.cgi carries (lib/number.c): 43 numbers of
 * 33 countries typed as people type them (national with the trunk
 * prefix, with 00 or 011, with +, with punctuation, with full-width and
 * Arabic-Indic digits), each to its one E.164 form; numbers that do not
 * exist and text that is no number refused; DEFAULT_REGION against
 * COUNTRY_CODE; the masked display; and libphonenumber's own example
 * number of every type in every region it knows through the core, each
 * sent or refused as ALLOWED_LINE_TYPES says, nothing sent when refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core.h"
#include "kv.h"
#include "number.h"
#include "phone.h"
#include "unit.h"

struct typed {
	const char *typed, *calling_code, *e164, *region;
};

static const struct typed typed_numbers[] = {
    /* The trunk prefix 0 goes; Italy keeps its 0 on fixed lines. */
    {"07911 123456", "+44", "+447911123456", "GG"},
    {"00 44 7911 123456", "+44", "+447911123456", "GG"},
    {"+44 (0)7911 123456", "+44", "+447911123456", "GG"},
    {"06 12 34 56 78", "+33", "+33612345678", "FR"},
    {"+33 6 12 34 56 78", "+1", "+33612345678", "FR"},
    {"0151 23456789", "+49", "+4915123456789", "DE"},
    {"00 49 151 23456789", "+49", "+4915123456789", "DE"},
    {"312 345 6789", "+39", "+393123456789", "IT"},
    {"06 1234 5678", "+39", "+390612345678", "IT"},
    {"612 34 56 78", "+34", "+34612345678", "ES"},
    {"06 12345678", "+31", "+31612345678", "NL"},
    {"0470 12 34 56", "+32", "+32470123456", "BE"},
    {"078 123 45 67", "+41", "+41781234567", "CH"},
    {"0664 123456", "+43", "+43664123456", "AT"},
    {"070-123 45 67", "+46", "+46701234567", "SE"},
    {"406 12 345", "+47", "+4740612345", "NO"},
    {"20 12 34 56", "+45", "+4520123456", "DK"},
    {"512 345 678", "+48", "+48512345678", "PL"},
    {"085 012 3456", "+353", "+353850123456", "IE"},
    {"912 345 678", "+351", "+351912345678", "PT"},
    {"(11) 96123-4567", "+55", "+5511961234567", "BR"},
    {"55 1234 5678", "+52", "+525512345678", "MX"},
    /* Argentina: the 15 of mobiles becomes the 9 of E.164. */
    {"011 15-2345-6789", "+54", "+5491123456789", "AR"},
    {"098765 43210", "+91", "+919876543210", "IN"},
    {"090-1234-5678", "+81", "+819012345678", "JP"},
    {"010-1234-5678", "+82", "+821012345678", "KR"},
    {"131 2345 6789", "+86", "+8613123456789", "CN"},
    {"0412 345 678", "+61", "+61412345678", "AU"},
    {"021 123 4567", "+64", "+64211234567", "NZ"},
    {"071 123 4567", "+27", "+27711234567", "ZA"},
    {"0802 123 4567", "+234", "+2348021234567", "NG"},
    {"0532 123 45 67", "+90", "+905321234567", "TR"},
    {"050-123-4567", "+972", "+972501234567", "IL"},
    {"081 234 5678", "+66", "+66812345678", "TH"},
    {"0912 345 6789", "+63", "+639123456789", "PH"},
    /* Arabic-Indic and full-width digits. */
    {"\xd9\xa0\xd9\xa1\xd9\xa0\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7",
     "+20", "+201001234567", "EG"},
    {"\xef\xbc\x90\xef\xbc\x97\xef\xbc\x99\xef\xbc\x91\xef\xbc\x91 "
     "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96",
     "+44", "+447911123456", "GG"},
    /* North America: the tutorial's forms, 011 abroad, +1 areas. */
    {"(202) 555-0143", "+1", "+12025550143", "US"},
    {"1-202-555-0143", "+1", "+12025550143", "US"},
    {"202.555.0143", "+1", "+12025550143", "US"},
    {"011 44 7911 123456", "+1", "+447911123456", "GG"},
    {"416-234-5678", "+1", "+14162345678", "CA"},
    {"876 234 5678", "+1", "+18762345678", "JM"},
};

static void
test_typed_numbers(void **state)
{
	struct phone_number n;
	char cc[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(typed_numbers) / sizeof(typed_numbers[0]); i++) {
		const struct typed *t = &typed_numbers[i];
		int rc = number_parse(t->typed, NULL, t->calling_code, &n);

		if (rc != PHONE_OK || strcmp(n.e164, t->e164) != 0 ||
		    strcmp(n.region, t->region) != 0)
			print_error("'%s' with %s: %d, '%s' of %s\n", t->typed, t->calling_code, rc,
				    n.e164, n.region);
		assert_int_equal(rc, PHONE_OK);
		assert_string_equal(n.e164, t->e164);
		assert_string_equal(n.region, t->region);
		assert_true(phone_is_e164(n.e164));
		snprintf(cc, sizeof(cc), "+%d", n.calling_code);
		assert_int_equal(strncmp(n.e164, cc, strlen(cc)), 0);
		assert_int_equal(strncmp(n.international, cc, strlen(cc)), 0);
	}
}

/* DEFAULT_REGION wins over COUNTRY_CODE for national numbers only. */
static void
test_default_region(void **state)
{
	struct phone_number n;

	(void)state;
	assert_int_equal(number_parse("07911 123456", "GB", "+1", &n), PHONE_OK);
	assert_string_equal(n.e164, "+447911123456");
	assert_int_equal(n.home, 44);
	assert_int_equal(number_parse("+1 202 555 0143", "GB", "+1", &n), PHONE_OK);
	assert_string_equal(n.e164, "+12025550143");
	assert_int_equal(n.home, 44);
	/* The same digits are another number, or none, elsewhere. */
	assert_int_equal(number_parse("07911 123456", NULL, "+1", &n), PHONE_INVALID);
	assert_int_equal(number_parse("06 12 34 56 78", "FR", "+44", &n), PHONE_OK);
	assert_string_equal(n.e164, "+33612345678");
	/* A region libphonenumber does not know, or no region at all. */
	assert_int_equal(number_parse("07911 123456", "XX", "+44", &n), PHONE_BAD_REGION);
	assert_string_equal(n.e164, "");
	assert_int_equal(number_parse("07911 123456", NULL, "+999", &n), PHONE_BAD_REGION);
	assert_int_equal(number_parse("07911 123456", NULL, NULL, &n), PHONE_BAD_REGION);
}

static void
test_refused(void **state)
{
	static const char *const not_numbers[] = {
	    "",
	    " ",
	    "()-. ",
	    "+",
	    "abcdefghij",
	    "+1 202 555 0143 0143 0143 0143 0143",
	    "+999 1234 5678", /* no such country code */
	};
	static const char *const invalid[] = {
	    "+1 202 555 01",   /* too short */
	    "+1 021 555 0143", /* no area code starts with 0 */
	    "+44 7911 12345",  /* one digit short */
	    "07911 1234567",   /* one too many */
	    "+1202",
	};
	struct phone_number n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++) {
		int rc = number_parse(not_numbers[i], NULL, "+44", &n);

		if (rc != PHONE_NOT_A_NUMBER)
			print_error("'%s': %d (%s)\n", not_numbers[i], rc, n.e164);
		assert_int_equal(rc, PHONE_NOT_A_NUMBER);
		assert_string_equal(n.e164, "");
	}
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		int rc = number_parse(invalid[i], NULL, "+44", &n);

		if (rc != PHONE_INVALID)
			print_error("'%s': %d (%s)\n", invalid[i], rc, n.e164);
		assert_int_equal(rc, PHONE_INVALID);
		assert_string_equal(n.e164, "");
	}
}

/* Shown at home in national form, abroad in international form, masked. */
static void
test_display(void **state)
{
	struct phone_number n;
	char out[OTP_PHONE_TEXT_MAX];

	(void)state;
	assert_int_equal(number_parse("07911 123456", NULL, "+44", &n), PHONE_OK);
	number_display(&n, out, sizeof(out));
	assert_string_equal(out, "07*** ***456");
	assert_int_equal(number_parse("+44 7911 123456", NULL, "+1", &n), PHONE_OK);
	number_display(&n, out, sizeof(out));
	assert_string_equal(out, "+44 7*** ***456");
	assert_int_equal(number_parse("(202) 555-0143", NULL, "+1", &n), PHONE_OK);
	number_display(&n, out, sizeof(out));
	assert_string_equal(out, "(20*) ***-*143");
	/* Too small a buffer: no digit, terminated. */
	number_display(&n, out, 8);
	assert_string_equal(out, "+***");
	/* A short number still hides three digits. */
	assert_int_equal(number_parse("406 12 345", NULL, "+47", &n), PHONE_OK);
	number_display(&n, out, sizeof(out));
	assert_string_equal(out, "40* ** 345");
}

/* ---- every region's example numbers through the core ------------------- */

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
	/* Only mobiles, voicemail and fixed_line_or_mobile: every other type refused. */
	n = snprintf(conf, sizeof(conf),
		     "SECRET_KEY='number-test-secret-0123456789'\n"
		     "SMS_TRANSPORT=outbox\nOUTBOX_PATH=%s\nDB_PATH=%s/otp.db\n"
		     "TEMPLATE_DIR=%s/templates\nALLOWED_COUNTRY_CODES=*\n"
		     "ALLOWED_LINE_TYPES=mobile, fixed_line_or_mobile,voicemail\n"
		     "RESEND_AFTER=0\nPHONE_SEND_LIMIT=1000\nPHONE_DAILY_LIMIT=1000\n"
		     "IP_SEND_LIMIT=1000000\nHOURLY_SEND_LIMIT=1000000\n"
		     "NETWORK_SEND_LIMIT=1000000\nPHONE_NETWORK_LIMIT=1000\n"
		     "DAILY_SEND_LIMIT=10000000\n",
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

	if (unit_cap_saved >= 0)
		free(unit_cap_end());
	core_close(&f->core);
	config_free(&f->cfg);
	unit_rmtree(f->dir);
	free(f);
	return 0;
}

static long
outbox_size(const struct fixture *f)
{
	struct stat sb;

	return stat(f->outbox, &sb) == 0 ? (long)sb.st_size : 0;
}

static void
test_examples_by_type(void **state)
{
	struct fixture *f = *state;
	const struct phonenumber_api *api = number_api();
	char regions[4096], region[4], e164[OTP_PHONE_MAX + 1], addr[32];
	const char *p, *item;
	int type, tried = 0, sent = 0, refused = 0, per_type[PHONE_TYPE__MAX] = {0};
	struct core_start_in in;
	struct phone_number n;
	struct core_result r;
	size_t len;

	assert_non_null(api);
	assert_int_equal(api->regions(regions, sizeof(regions)), 0);
	assert_non_null(strstr(regions, "GB"));
	unit_cap_begin(); /* an audit line a number */
	p = regions;
	while ((len = kv_list_next(&p, &item)) > 0) {
		assert_true(len < sizeof(region));
		memcpy(region, item, len);
		region[len] = '\0';
		for (type = 0; type < PHONE_TYPE__MAX; type++) {
			long before = outbox_size(f);
			int allowed;

			if (!api->example(region, (enum phone_type)type, e164, sizeof(e164)))
				continue;
			/* Typed in its own region as the world gives it, in E.164. */
			if (number_parse(e164, region, NULL, &n) != PHONE_OK)
				continue; /* an example libphonenumber itself calls invalid */
			assert_string_equal(n.e164, e164);
			tried++;
			per_type[n.type]++;
			allowed = n.type == PHONE_MOBILE || n.type == PHONE_FIXED_LINE_OR_MOBILE ||
				  n.type == PHONE_VOICEMAIL;
			snprintf(addr, sizeof(addr), "10.9.%d.%d", tried / 250, tried % 250);
			memset(&in, 0, sizeof(in));
			in.number = &n;
			in.client = addr;
			in.way = CHANNEL_SMS;
			in.now = time(NULL);
			core_start(&f->core, &in, &r);
			if (allowed) {
				assert_int_equal(r.outcome, OUTCOME_SENT);
				assert_true(outbox_size(f) > before);
				sent++;
			} else {
				if (r.outcome != OUTCOME_LINE_TYPE)
					print_error("%s %s (%s): %d\n", region, e164,
						    phone_type_name(n.type), r.outcome);
				assert_int_equal(r.outcome, OUTCOME_LINE_TYPE);
				assert_int_equal(outbox_size(f), before);
				assert_string_equal(r.vid, "");
				refused++;
			}
		}
	}
	free(unit_cap_end());
	/* Every region, most of the types: hundreds each way. */
	assert_true(tried > 1000);
	assert_true(sent > 200 && refused > 500);
	for (type = 0; type < PHONE_TYPE__MAX; type++)
		if (type != PHONE_UNKNOWN && type != PHONE_FIXED_LINE_OR_MOBILE)
			assert_true(per_type[type] > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_typed_numbers),
	    cmocka_unit_test(test_default_region),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_display),
	    cmocka_unit_test_setup_teardown(test_examples_by_type, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
