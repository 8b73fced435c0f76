/*
 * Proves the phone rules that need no libphonenumber (test_number.c has
 * the parsing): a strict E.164 check ('+', 7 to 15 digits, the first not
 * 0), a mask that never shows the middle digits whatever the buffer it
 * is given, and the names of the line types ALLOWED_LINE_TYPES takes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "phone.h"

/* Every type has one name, and each name reads back as its type. */
static void
test_type_names(void **state)
{
	int t;

	(void)state;
	for (t = 0; t < PHONE_TYPE__MAX; t++) {
		const char *name = phone_type_name(t);

		assert_non_null(name);
		assert_int_equal(phone_type_of(name, strlen(name)), t);
		/* A prefix or a longer word is no name. */
		assert_int_equal(phone_type_of(name, strlen(name) - 1), -1);
	}
	assert_null(phone_type_name(-1));
	assert_null(phone_type_name(PHONE_TYPE__MAX));
	assert_int_equal(phone_type_of("mobile,", 7), -1);
	assert_int_equal(phone_type_of("MOBILE", 6), -1);
	assert_int_equal(phone_type_of("", 0), -1);
	assert_string_equal(phone_type_name(PHONE_MOBILE), "mobile");
	assert_string_equal(phone_type_name(PHONE_FIXED_LINE_OR_MOBILE), "fixed_line_or_mobile");
	assert_string_equal(phone_type_name(PHONE_PREMIUM_RATE), "premium_rate");
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
	assert_true(phone_is_e164("+1234567"));
	assert_false(phone_is_e164("+123456"));
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
	    cmocka_unit_test(test_type_names),
	    cmocka_unit_test(test_is_e164),
	    cmocka_unit_test(test_mask),
	    cmocka_unit_test(test_mask_hides_middle),
	    cmocka_unit_test(test_mask_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
