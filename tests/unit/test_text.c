/*
 * The text message as sent and billed (lib/text.c): codes and the WebOTP
 * line put in, and the parts counted as GSM 03.38 and Telnyx count them,
 * at each boundary: 160/161 GSM-7 characters, 306/307 (two parts of 153),
 * extension characters at two septets, 70/71 and 134/135 UCS-2 units,
 * characters beyond the BMP at two units, and bytes that are not UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "text.h"

/* n copies of the UTF-8 character c, into buf. */
static const char *
repeat(char *buf, size_t size, const char *c, size_t n)
{
	size_t i, len = strlen(c);

	assert_true(n * len < size);
	for (i = 0; i < n; i++)
		memcpy(buf + i * len, c, len);
	buf[n * len] = '\0';
	return buf;
}

static void
assert_parts(const char *s, int ucs2, size_t units, int parts)
{
	struct text_parts tp;

	text_parts(s, &tp);
	if (tp.ucs2 != ucs2 || tp.units != units || tp.parts != parts)
		print_error("%.40s...: ucs2 %d units %zu parts %d\n", s, tp.ucs2, tp.units,
			    tp.parts);
	assert_int_equal(tp.ucs2, ucs2);
	assert_int_equal(tp.units, units);
	assert_int_equal(tp.parts, parts);
}

static void
test_gsm7_boundaries(void **state)
{
	char buf[4096];

	(void)state;
	assert_parts(repeat(buf, sizeof(buf), "a", 160), 0, 160, 1);
	assert_parts(repeat(buf, sizeof(buf), "a", 161), 0, 161, 2);
	assert_parts(repeat(buf, sizeof(buf), "a", 306), 0, 306, 2);
	assert_parts(repeat(buf, sizeof(buf), "a", 307), 0, 307, 3);
	assert_parts(repeat(buf, sizeof(buf), "a", 1530), 0, 1530, 10);
	assert_parts(repeat(buf, sizeof(buf), "a", 1531), 0, 1531, 11);
	/* The basic table beyond ASCII is one septet: é, Ä, Δ, £. */
	assert_parts(repeat(buf, sizeof(buf), "\xc3\xa9", 160), 0, 160, 1);
	assert_parts(repeat(buf, sizeof(buf), "\xce\x94", 161), 0, 161, 2);
	assert_parts("Your code is 123456 \xc2\xa3\xc3\x84@$_\n", 0, 26, 1);
	/* The extension table is two: 80 euro signs fill one part, 81 do not. */
	assert_parts(repeat(buf, sizeof(buf), "\xe2\x82\xac", 80), 0, 160, 1);
	assert_parts(repeat(buf, sizeof(buf), "\xe2\x82\xac", 81), 0, 162, 2);
	assert_parts(repeat(buf, sizeof(buf), "{", 81), 0, 162, 2);
	/* An extension character is never split: after 152 septets it does not
	 * fit the part's last one and starts the next, so 306 septets (two
	 * parts by division) are three. */
	repeat(buf, sizeof(buf), "a", 152);
	memcpy(buf + 152, "{", 2);
	repeat(buf + 153, sizeof(buf) - 153, "a", 152);
	assert_parts(buf, 0, 306, 3);
	assert_parts("", 0, 0, 1);
}

static void
test_ucs2_boundaries(void **state)
{
	char buf[4096];

	(void)state;
	/* One character outside GSM-7 makes the whole text UCS-2. */
	assert_parts("Votre code: 1234 \xe2\x80\x94 merci", 1, 24, 1);
	assert_parts(repeat(buf, sizeof(buf), "\xd0\x96", 70), 1, 70, 1); /* Cyrillic */
	assert_parts(repeat(buf, sizeof(buf), "\xd0\x96", 71), 1, 71, 2);
	assert_parts(repeat(buf, sizeof(buf), "\xe4\xbd\xa0", 134), 1, 134, 2);
	assert_parts(repeat(buf, sizeof(buf), "\xe4\xbd\xa0", 135), 1, 135, 3);
	/* Beyond the BMP: two UTF-16 units each. */
	assert_parts(repeat(buf, sizeof(buf), "\xf0\x9f\x94\x91", 35), 1, 70, 1);
	assert_parts(repeat(buf, sizeof(buf), "\xf0\x9f\x94\x91", 36), 1, 72, 2);
	/* Nor a surrogate pair: 66 units, a pair, 66 more are 134 units (two
	 * parts of 67 by division) but three parts. */
	repeat(buf, sizeof(buf), "\xd0\x96", 66);
	memcpy(buf + 132, "\xf0\x9f\x94\x91", 4);
	repeat(buf + 136, sizeof(buf) - 136, "\xd0\x96", 66);
	assert_parts(buf, 1, 134, 3);
	/* 159 GSM characters and one that is not: 160 UCS-2 units, 3 parts. */
	repeat(buf, sizeof(buf), "a", 159);
	buf[159] = '`';
	buf[160] = '\0';
	assert_parts(buf, 1, 160, 3);
	/* Not UTF-8: a lone continuation byte, an overlong form, a surrogate. */
	assert_parts("code \x80", 1, 6, 1);
	assert_parts("code \xc0\xaf", 1, 7, 1);
	assert_parts("code \xed\xa0\x80", 1, 8, 1);
	assert_parts("code \xe2\x82", 1, 7, 1);
}

static void
test_compose(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(text_compose("Your token is {code}", NULL, NULL, "A1B2", out, sizeof(out)),
			 0);
	assert_string_equal(out, "Your token is A1B2");
	assert_int_equal(
	    text_compose("{code} is {code}", NULL, "example.com", "12", out, sizeof(out)), 0);
	assert_string_equal(out, "12 is 12\n\n@example.com #12");
	/* The site's name wherever {site} is, in any order with the codes. */
	assert_int_equal(
	    text_compose("{site}: {code}, {site} {code}", "Acme", "e.com", "12", out, sizeof(out)),
	    0);
	assert_string_equal(out, "Acme: 12, Acme 12\n\n@e.com #12");
	/* No name known: {site} is left out, never sent as written. */
	assert_int_equal(text_compose("{code} for {site}.", NULL, NULL, "12", out, sizeof(out)), 0);
	assert_string_equal(out, "12 for .");
	/* A name holding "{code}" is not read again. */
	assert_int_equal(text_compose("{site} {code}", "{code}", NULL, "12", out, sizeof(out)), 0);
	assert_string_equal(out, "{code} 12");
	/* Exactly full, then one byte short. */
	assert_int_equal(text_compose("abc{code}", NULL, NULL, "1234", out, 8), 0);
	assert_string_equal(out, "abc1234");
	assert_int_equal(text_compose("abc{code}", NULL, NULL, "12345", out, 8), -1);
	assert_string_equal(out, "");
	assert_int_equal(text_compose("{code}{code}", NULL, "e.com", "1234", out, 16), -1);
	assert_string_equal(out, "");
	assert_int_equal(text_compose("{site}{code}", "abcdefgh", NULL, "1234", out, 12), -1);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gsm7_boundaries),
	    cmocka_unit_test(test_ucs2_boundaries),
	    cmocka_unit_test(test_compose),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
