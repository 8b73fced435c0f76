/*
 * Proves the phone number rules of DESIGN.md section 2: the tutorial's
 * normalisation (spaces, '-', '.', '(' and ')' dropped), COUNTRY_CODE in
 * front of a number typed without '+', a strict E.164 check ('+', 8 to 15
 * digits, the first not 0) that refuses everything else with an empty
 * result, and a mask that never shows the middle digits, whatever the
 * buffer it is given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "phone.h"

/* phone_normalize() must give want (NULL: must refuse, out left empty). */
static void
assert_normal(const char *in, const char *cc, const char *want)
{
	char out[OTP_PHONE_MAX + 1];
	int rc;

	memset(out, 'X', sizeof(out));
	rc = phone_normalize(in, cc, out);
	if ((want == NULL) != (rc != 0) || (want != NULL && strcmp(out, want) != 0))
		print_error("'%s' with %s: rc %d, '%.*s'\n", in != NULL ? in : "(null)",
			    cc != NULL ? cc : "(null)", rc, (int)sizeof(out), out);
	if (want == NULL) {
		assert_int_equal(rc, -1);
		assert_string_equal(out, "");
	} else {
		assert_int_equal(rc, 0);
		assert_string_equal(out, want);
		assert_true(phone_is_e164(out));
	}
}

static void
test_normalize(void **state)
{
	(void)state;
	/* The tutorial's: US numbers as people type them. */
	assert_normal("(202) 555-0143", "+1", "+12025550143");
	assert_normal("202.555.0143", "+1", "+12025550143");
	assert_normal("202-555-0143", "+1", "+12025550143");
	assert_normal("2025550143", "+1", "+12025550143");
	assert_normal("  202 555 0143  ", "+1", "+12025550143");
	/* A leading '+' means the country code is there already. */
	assert_normal("+44 20 7946 0958", "+1", "+442079460958");
	assert_normal("+1 (202) 555-0143", "+44", "+12025550143");
	assert_normal("+442079460958", "+1", "+442079460958");
	/* Otherwise COUNTRY_CODE goes in front. */
	assert_normal("20 7946 0958", "+44", "+442079460958");
	assert_normal("30 123456", "+49", "+4930123456");
	assert_normal("91 1234 5678", "+353", "+3539112345678");
}

static void
test_lengths(void **state)
{
	(void)state;
	/* 8 to 15 digits after the '+'. */
	assert_normal("+1234567", "+1", NULL);
	assert_normal("+12345678", "+1", "+12345678");
	assert_normal("+123456789012345", "+1", "+123456789012345");
	assert_normal("+1234567890123456", "+1", NULL);
	assert_normal("+1 234 567 890 123 45", "+1", "+123456789012345");
	/* The country code counts. */
	assert_normal("1234567", "+1", "+11234567");
	assert_normal("123456", "+1", NULL);
	assert_normal("12345678901234", "+1", "+112345678901234");
	assert_normal("123456789012345", "+1", NULL);
	assert_normal("123456789012", "+353", "+353123456789012");
	assert_normal("1234567890123", "+353", NULL);
	/* Punctuation is free, however much of it. */
	assert_normal("2 0 2 - 5 5 5 - 0 1 4 3 ............ ((((()))))", "+1", "+12025550143");
	/* But digits are not: a long number never overflows. */
	assert_normal("202555014320255501432025550143202555014320255501432025550143", "+1", NULL);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    " ",
	    "()-. ",
	    "+",
	    "+ ",
	    "++12025550143",
	    "+0123456789",
	    "+01 202 555 0143",
	    "202-555-CALL",
	    "+1202555014a",
	    "abcdefghij",
	    "1+2025550143",
	    "+1 202 555 0143 ext 7",
	    "+1_202_555_0143",
	    "+1/202/555/0143",
	    "+1\t2025550143",
	    "+1\n2025550143",
	    "２０２５５５０１４３", /* full-width digits */
	    "+1 202 555 0143\xc2\xa0",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_normal(bad[i], "+1", NULL);
	assert_normal(NULL, "+1", NULL);
	assert_normal("2025550143", NULL, NULL);
	/* Without a usable country code a number without '+' cannot be made E.164. */
	assert_normal("2025550143", "", NULL);
	assert_normal("2025550143", "1", NULL);
	assert_normal("2025550143", "+0", NULL);
	assert_normal("2025550143", "+12345678901234567890", NULL);
}

/*
 * The '+' is looked for after the punctuation is dropped, so " +44 20 7946
 * 0958" (a pasted number with a leading space) or "(+44) 20 7946 0958"
 * keeps its country code (DESIGN.md section 2), not "+1+44...".
 */
static void
test_plus_after_punctuation(void **state)
{
	(void)state;
	assert_normal(" +44 20 7946 0958", "+1", "+442079460958");
	assert_normal("(+44) 20 7946 0958", "+1", "+442079460958");
}

static void
test_is_e164(void **state)
{
	(void)state;
	assert_true(phone_is_e164("+12025550143"));
	assert_true(phone_is_e164("+12345678"));
	assert_true(phone_is_e164("+999999999999999"));
	assert_false(phone_is_e164(NULL));
	assert_false(phone_is_e164(""));
	assert_false(phone_is_e164("+"));
	assert_false(phone_is_e164("12025550143"));
	assert_false(phone_is_e164("+02025550143"));
	assert_false(phone_is_e164("+1234567"));
	assert_false(phone_is_e164("+1234567890123456"));
	assert_false(phone_is_e164("+1 2025550143"));
	assert_false(phone_is_e164("+1202555014x"));
	assert_false(phone_is_e164("+12025550143\n"));
}

static void
test_mask(void **state)
{
	char out[32];

	(void)state;
	phone_mask("+12025550143", out, sizeof(out));
	assert_string_equal(out, "+12*******43");
	phone_mask("+442079460958", out, sizeof(out));
	assert_string_equal(out, "+44********58");
	phone_mask("+12345678", out, sizeof(out));
	assert_string_equal(out, "+12****78");
	phone_mask("+123456789012345", out, sizeof(out));
	assert_string_equal(out, "+12***********45");
}

/* Whatever the length, only the first two and last two digits show. */
static void
test_mask_hides_middle(void **state)
{
	char num[OTP_PHONE_MAX + 1], out[32];
	size_t n, i;

	(void)state;
	for (n = 8; n <= 15; n++) {
		num[0] = '+';
		for (i = 1; i <= n; i++)
			num[i] = (char)('1' + (i % 9));
		num[n + 1] = '\0';
		phone_mask(num, out, sizeof(out));
		assert_int_equal(strlen(out), n + 1);
		assert_memory_equal(out, num, 3);
		assert_memory_equal(out + n - 1, num + n - 1, 2);
		for (i = 3; i < n - 1; i++)
			assert_int_equal(out[i], '*');
	}
}

static void
test_mask_small_buffers(void **state)
{
	char out[16];
	size_t size;

	(void)state;
	/* Too small for the whole mask: a fixed "+***", cut if it must be,
	 * never a digit, always terminated. */
	for (size = 1; size <= 12; size++) {
		memset(out, 'X', sizeof(out));
		phone_mask("+12025550143", out, size);
		assert_true(strlen(out) < size);
		assert_int_equal(strspn(out, "+*"), strlen(out));
		assert_int_equal(out[size], 'X');
	}
	memset(out, 'X', sizeof(out));
	phone_mask("+12025550143", out, 13);
	assert_string_equal(out, "+12*******43");
	assert_int_equal(out[13], 'X');
	/* Size 0: nothing written. */
	memset(out, 'X', sizeof(out));
	phone_mask("+12025550143", out, 0);
	assert_int_equal(out[0], 'X');
	/* Nothing to mask, or too short to hide anything: no digit shows. */
	phone_mask(NULL, out, sizeof(out));
	assert_string_equal(out, "+***");
	phone_mask("", out, sizeof(out));
	assert_string_equal(out, "+***");
	phone_mask("+1234", out, sizeof(out));
	assert_string_equal(out, "+***");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize),         cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_refused),           cmocka_unit_test(test_plus_after_punctuation),
	    cmocka_unit_test(test_is_e164),           cmocka_unit_test(test_mask),
	    cmocka_unit_test(test_mask_hides_middle), cmocka_unit_test(test_mask_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
