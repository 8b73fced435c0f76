/*
 * Proves the assertions of the hand-over (assertion.h): what
 * assertion_make() writes, assertion_check() reads back field for field,
 * with and without return_to; and each way one fails, with its reason: a
 * version other than v1, a MAC altered or of another key, the MAC's last
 * base64 character spelt another way (same bytes, refused), too old, from
 * the future (each at its edge), a verified_at that is no whole time
 * (1e300, -1e300, an infinity, -1, 1.5, past 2^53, a string), missing or
 * malformed fields, a return_to over OTP_RETURN_MAX, no key.  Payloads
 * the MAC covers are signed here by hand, as a key holder could.  Then
 * phone signatures: the right one passes, any other does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "assertion.h"

#define KEY     "unit-signing-key-0123456789abcdef"
#define NOW     ((time_t)1800000000)
#define MAX_AGE 300L
#define PHONE   "+12025550143"
#define VID     "00112233445566778899aabbccddeeff"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* An assertion of PHONE and VID verified at at, with return_to. */
static void
make(struct assertion *a, time_t at, const char *return_to, char *out, size_t size)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->phone, sizeof(a->phone), "%s", PHONE);
	snprintf(a->vid, sizeof(a->vid), "%s", VID);
	snprintf(a->return_to, sizeof(a->return_to), "%s", return_to);
	a->verified_at = at;
	assert_int_equal(assertion_make(KEY, a, out, size), 0);
}

/* base64url without padding of len bytes at in, appended to out. */
static void
b64url(const void *in, size_t len, char *out)
{
	size_t n, i;

	out += strlen(out);
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
}

/* "v1.<payload64>.<mac64>" of payload under key, as a key holder makes
 * it, into out (ASSERTION_MAX + 1 bytes). */
static void
sign(const char *key, const char *payload, char out[ASSERTION_MAX + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t len = strlen(payload);

	assert_true(3 + 4 * ((len + 2) / 3) + 1 + 43 < ASSERTION_MAX + 1);
	memcpy(out, "v1.", 4);
	b64url(payload, len, out);
	assert_non_null(
	    HMAC(EVP_sha256(), key, (int)strlen(key), (unsigned char *)out, strlen(out), mac, &n));
	len = strlen(out);
	memcpy(out + len, ".", 2);
	b64url(mac, n, out);
}

/* assertion_check() of s at NOW must fail for why. */
static void
assert_refused(const char *s, const char *why)
{
	struct assertion a;
	const char *got = NULL;

	if (assertion_check(KEY, s, NOW, MAX_AGE, &a, &got) == 0)
		fail_msg("accepted: %s", s);
	assert_non_null(got);
	assert_string_equal(got, why);
}

/* The payload of PHONE and VID with verified_at written as at. */
static void
assert_time_refused(const char *at, const char *why)
{
	char payload[256], s[ASSERTION_MAX + 1];

	snprintf(payload, sizeof(payload),
		 "{\"phone\":\"" PHONE "\",\"verified_at\":%s,\"vid\":\"" VID "\"}", at);
	sign(KEY, payload, s);
	assert_refused(s, why);
}

static void
test_round_trip(void **state)
{
	char s[ASSERTION_MAX + 1], s2[ASSERTION_MAX + 1];
	struct assertion made, got;
	const char *why = "unset";

	(void)state;
	make(&made, NOW - 10, "", s, sizeof(s));
	assert_int_equal(strncmp(s, "v1.", 3), 0);
	assert_int_equal(assertion_check(KEY, s, NOW, MAX_AGE, &got, &why), 0);
	assert_null(why);
	assert_string_equal(got.phone, PHONE);
	assert_string_equal(got.vid, VID);
	assert_int_equal(got.verified_at, NOW - 10);
	assert_string_equal(got.return_to, "");

	make(&made, NOW, "https://shop.example/account?state=Zm9v&x=%22", s2, sizeof(s2));
	assert_int_equal(assertion_check(KEY, s2, NOW, MAX_AGE, &got, &why), 0);
	assert_string_equal(got.return_to, "https://shop.example/account?state=Zm9v&x=%22");
	assert_int_equal(got.verified_at, NOW);
	/* Made again from what was read: the same string. */
	assert_int_equal(assertion_make(KEY, &got, s, sizeof(s)), 0);
	assert_string_equal(s, s2);
	/* A hand-signed payload in assertion_make()'s spelling is the same. */
	sign(KEY,
	     "{\"phone\":\"" PHONE "\",\"verified_at\":1800000000,\"vid\":\"" VID
	     "\",\"return_to\":\"https://shop.example/account?state=Zm9v&x=%22\"}",
	     s);
	assert_string_equal(s, s2);
}

static void
test_make_too_small(void **state)
{
	struct assertion a;
	char s[ASSERTION_MAX + 1];
	size_t n;

	(void)state;
	make(&a, NOW, "", s, sizeof(s));
	n = strlen(s);
	assert_int_equal(assertion_make(KEY, &a, s, n), -1);
	assert_int_equal(assertion_make(KEY, &a, s, n + 1), 0);
	assert_int_equal(strlen(s), n);
	assert_int_equal(assertion_make("", &a, s, sizeof(s)), -1);
}

static void
test_bad_version(void **state)
{
	char s[ASSERTION_MAX + 1];
	struct assertion a;
	const char *why = NULL;

	(void)state;
	make(&a, NOW, "", s, sizeof(s));
	s[1] = '2';
	assert_refused(s, "unknown version");
	s[0] = 'V';
	s[1] = '1';
	assert_refused(s, "unknown version");
	assert_refused("", "unknown version");
	assert_refused(s + 3, "unknown version");
	assert_int_equal(assertion_check(KEY, NULL, NOW, MAX_AGE, &a, &why), -1);
	assert_string_equal(why, "malformed");
}

static void
test_bad_mac(void **state)
{
	char s[ASSERTION_MAX + 1], t[ASSERTION_MAX + 8];
	struct assertion a;
	size_t n;
	const char *p;

	(void)state;
	make(&a, NOW, "", s, sizeof(s));
	n = strlen(s);
	/* One character of the MAC, of the payload, of the version's dot. */
	memcpy(t, s, n + 1);
	t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';
	assert_refused(t, "bad signature");
	memcpy(t, s, n + 1);
	t[5] = t[5] == 'A' ? 'B' : 'A';
	assert_refused(t, "bad signature");
	/* Another key. */
	assert_int_equal(assertion_make("another-key-0123456789", &a, t, sizeof(t)), 0);
	assert_refused(t, "bad signature");
	/* Cut, extended, padded, empty. */
	memcpy(t, s, n + 1);
	t[n - 1] = '\0';
	assert_refused(t, "bad signature");
	snprintf(t, sizeof(t), "%sA", s);
	assert_refused(t, "bad signature");
	snprintf(t, sizeof(t), "%s=", s);
	assert_refused(t, "bad signature");
	p = strrchr(s, '.');
	snprintf(t, sizeof(t), "%.*s.", (int)(p - s), s);
	assert_refused(t, "bad signature");
	/* A third part, or only two. */
	snprintf(t, sizeof(t), "%s.x", s);
	assert_refused(t, "malformed");
	snprintf(t, sizeof(t), "%.*s", (int)(p - s), s);
	assert_refused(t, "malformed");
	/* No key to check with. */
	assert_int_equal(assertion_check("", s, NOW, MAX_AGE, &a, &p), -1);
	assert_string_equal(p, "no key");
}

/*
 * A 32-byte MAC is 43 base64url characters; the last carries 4 bits and
 * 2 that decoders ignore.  Setting those spells the same bytes, and must
 * be refused: only one spelling of an assertion passes.
 */
static void
test_mac_other_spelling(void **state)
{
	char s[ASSERTION_MAX + 1], t[ASSERTION_MAX + 1];
	struct assertion a;
	const char *mac, *why;
	size_t n, i, j, k, tried = 0;

	(void)state;
	make(&a, NOW, "", s, sizeof(s));
	mac = strrchr(s, '.') + 1;
	assert_int_equal(strlen(mac), 43);
	n = strlen(s);
	i = (size_t)(strchr(b64_alphabet, s[n - 1]) - b64_alphabet);
	assert_int_equal(i & 3, 0);
	for (k = 1; k < 4; k++) {
		j = (i & ~(size_t)3) | k;
		memcpy(t, s, n + 1);
		t[n - 1] = b64_alphabet[j];
		assert_refused(t, "bad signature");
		tried++;
	}
	assert_int_equal(tried, 3);
	assert_int_equal(assertion_check(KEY, s, NOW, MAX_AGE, &a, &why), 0);
}

static void
test_age(void **state)
{
	char s[ASSERTION_MAX + 1];
	struct assertion a, got;
	const char *why;

	(void)state;
	/* At the edges: max_age old, and a minute ahead of the clock. */
	make(&a, NOW - MAX_AGE, "", s, sizeof(s));
	assert_int_equal(assertion_check(KEY, s, NOW, MAX_AGE, &got, &why), 0);
	make(&a, NOW + 60, "", s, sizeof(s));
	assert_int_equal(assertion_check(KEY, s, NOW, MAX_AGE, &got, &why), 0);
	/* A second past them. */
	make(&a, NOW - MAX_AGE - 1, "", s, sizeof(s));
	assert_refused(s, "expired");
	make(&a, NOW + 61, "", s, sizeof(s));
	assert_refused(s, "from the future");
	make(&a, 0, "", s, sizeof(s));
	assert_refused(s, "expired");
	/* The same assertion, later. */
	make(&a, NOW, "", s, sizeof(s));
	assert_int_equal(assertion_check(KEY, s, NOW + MAX_AGE + 1, MAX_AGE, &got, &why), -1);
	assert_string_equal(why, "expired");
}

/* verified_at as a JSON number that is no whole time in range, or no number. */
static void
test_time_not_whole(void **state)
{
	(void)state;
	assert_time_refused("1e300", "malformed");
	assert_time_refused("-1e300", "malformed");
	assert_time_refused("1e999", "malformed"); /* cJSON reads an infinity */
	assert_time_refused("-1e999", "malformed");
	assert_time_refused("9.3e18", "malformed"); /* past INT64_MAX */
	assert_time_refused("-9.2e18", "malformed");
	assert_time_refused("9007199254740994", "malformed"); /* 2^53 + 2 */
	assert_time_refused("-1", "malformed");
	assert_time_refused("1.5", "malformed");
	assert_time_refused("1799999999.5", "malformed");
	assert_time_refused("\"1800000000\"", "malformed");
	assert_time_refused("null", "malformed");
	assert_time_refused("true", "malformed");
	assert_time_refused("[1800000000]", "malformed");
	/* Whole numbers in range pass the conversion, however written. */
	assert_time_refused("0", "expired");
	assert_time_refused("-0", "expired");
	assert_time_refused("9007199254740992", "from the future"); /* 2^53 */
}

/* A whole number is a time however JSON writes it. */
static void
test_time_exponent(void **state)
{
	char s[ASSERTION_MAX + 1];
	struct assertion a;
	const char *why;

	(void)state;
	sign(KEY, "{\"phone\":\"" PHONE "\",\"verified_at\":18e8,\"vid\":\"" VID "\"}", s);
	assert_int_equal(assertion_check(KEY, s, NOW, MAX_AGE, &a, &why), 0);
	assert_int_equal(a.verified_at, NOW);
	sign(KEY, "{\"phone\":\"" PHONE "\",\"verified_at\":1799999999.0,\"vid\":\"" VID "\"}", s);
	assert_int_equal(assertion_check(KEY, s, NOW, MAX_AGE, &a, &why), 0);
	assert_int_equal(a.verified_at, NOW - 1);
}

static void
test_fields(void **state)
{
	static const char *const bad[] = {
	    "not json",
	    "[\"" PHONE "\",1800000000]",
	    "{\"verified_at\":1800000000,\"vid\":\"" VID "\"}",
	    "{\"phone\":\"" PHONE "\",\"vid\":\"" VID "\"}",
	    "{\"phone\":\"" PHONE "\",\"verified_at\":1800000000}",
	    "{\"phone\":\"2025550143\",\"verified_at\":1800000000,\"vid\":\"" VID "\"}",
	    "{\"phone\":12025550143,\"verified_at\":1800000000,\"vid\":\"" VID "\"}",
	    "{\"phone\":\"" PHONE "\",\"verified_at\":1800000000,\"vid\":\"abc\"}",
	    "{\"phone\":\"" PHONE "\",\"verified_at\":1800000000,"
	    "\"vid\":\"00112233445566778899AABBCCDDEEFF\"}",
	    "{\"phone\":\"" PHONE "\",\"verified_at\":1800000000,\"vid\":\"" VID
	    "\",\"return_to\":7}",
	    "{\"phone\":\"" PHONE "\",\"verified_at\":1800000000,\"vid\":\"" VID
	    "\",\"return_to\":null}",
	    "{\"Phone\":\"" PHONE "\",\"verified_at\":1800000000,\"vid\":\"" VID "\"}",
	};
	char s[ASSERTION_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sign(KEY, bad[i], s);
		assert_refused(s, "malformed");
	}
}

static void
test_return_to_length(void **state)
{
	char payload[1024], ret[OTP_RETURN_MAX + 2], s[ASSERTION_MAX + 1];
	struct assertion a;
	const char *why;

	(void)state;
	memset(ret, 'r', sizeof(ret));
	ret[0] = '/';
	ret[OTP_RETURN_MAX] = '\0';
	make(&a, NOW, ret, s, sizeof(s));
	assert_int_equal(assertion_check(KEY, s, NOW, MAX_AGE, &a, &why), 0);
	assert_int_equal(strlen(a.return_to), OTP_RETURN_MAX);
	/* One more, signed by hand: struct assertion has no room for it. */
	ret[OTP_RETURN_MAX] = 'r';
	ret[OTP_RETURN_MAX + 1] = '\0';
	snprintf(payload, sizeof(payload),
		 "{\"phone\":\"" PHONE "\",\"verified_at\":1800000000,\"vid\":\"" VID
		 "\",\"return_to\":\"%s\"}",
		 ret);
	sign(KEY, payload, s);
	assert_refused(s, "malformed");
}

static void
test_too_long(void **state)
{
	char *s = malloc(ASSERTION_MAX + 2);

	(void)state;
	assert_non_null(s);
	memset(s, 'A', ASSERTION_MAX + 1);
	memcpy(s, "v1.", 3);
	s[ASSERTION_MAX + 1] = '\0';
	assert_refused(s, "malformed");
	free(s);
}

static void
test_phone_sig(void **state)
{
	char sig[2 * OTP_MAC_LEN + 1], other[2 * OTP_MAC_LEN + 1];
	size_t i;

	(void)state;
	assert_int_equal(assertion_phone_sig(KEY, PHONE, sig), 0);
	assert_int_equal(strlen(sig), 2 * OTP_MAC_LEN);
	assert_int_equal(strspn(sig, "0123456789abcdef"), 2 * OTP_MAC_LEN);
	assert_true(assertion_phone_sig_ok(KEY, PHONE, sig));
	/* Another number, another key. */
	assert_false(assertion_phone_sig_ok(KEY, "+12025550144", sig));
	assert_false(assertion_phone_sig_ok("another-key-0123456789", PHONE, sig));
	assert_int_equal(assertion_phone_sig("another-key-0123456789", PHONE, other), 0);
	assert_string_not_equal(sig, other);
	/* Any one character changed, upper case, cut, extended, none. */
	for (i = 0; i < 2 * OTP_MAC_LEN; i++) {
		memcpy(other, sig, sizeof(sig));
		other[i] = other[i] == '0' ? '1' : '0';
		assert_false(assertion_phone_sig_ok(KEY, PHONE, other));
	}
	for (i = 0; i < 2 * OTP_MAC_LEN; i++)
		other[i] = sig[i] >= 'a' ? (char)(sig[i] - 'a' + 'A') : sig[i];
	other[2 * OTP_MAC_LEN] = '\0';
	if (strcmp(other, sig) != 0)
		assert_false(assertion_phone_sig_ok(KEY, PHONE, other));
	memcpy(other, sig, sizeof(sig));
	other[2 * OTP_MAC_LEN - 1] = '\0';
	assert_false(assertion_phone_sig_ok(KEY, PHONE, other));
	assert_false(assertion_phone_sig_ok(KEY, PHONE, ""));
	assert_false(assertion_phone_sig_ok(KEY, PHONE, NULL));
	assert_false(assertion_phone_sig_ok("", PHONE, sig));
	assert_int_equal(assertion_phone_sig("", PHONE, other), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_make_too_small),
	    cmocka_unit_test(test_bad_version),
	    cmocka_unit_test(test_bad_mac),
	    cmocka_unit_test(test_mac_other_spelling),
	    cmocka_unit_test(test_age),
	    cmocka_unit_test(test_time_not_whole),
	    cmocka_unit_test(test_time_exponent),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_return_to_length),
	    cmocka_unit_test(test_too_long),
	    cmocka_unit_test(test_phone_sig),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
