/*
 * Proves the code module: codes of every allowed length (and no other)
 * drawn from the configured alphabet with no character likelier than
 * another (a chi-square test that would catch the modulo bias of
 * "byte % 10"), unique well-formed verification ids, an HMAC that is the
 * documented HMAC-SHA256(key, id ":" upper(code)) and so differs per id
 * and per key but not per letter case, and an equality check that is
 * exact.
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

#include "code.h"

static const char hex[] = "0123456789ABCDEF";
static const char digits[] = "0123456789";

static void
test_lengths(void **state)
{
	char out[OTP_CODE_MAX + 8];
	int len;

	(void)state;
	for (len = OTP_CODE_MIN; len <= OTP_CODE_MAX; len++) {
		memset(out, 'Z', sizeof(out));
		assert_int_equal(code_random(out, len, ALPHABET_HEX), 0);
		assert_int_equal(strlen(out), (size_t)len);
		assert_int_equal(strspn(out, hex), (size_t)len);
		/* Nothing written past the NUL. */
		assert_int_equal(out[len + 1], 'Z');

		memset(out, 'Z', sizeof(out));
		assert_int_equal(code_random(out, len, ALPHABET_DIGITS), 0);
		assert_int_equal(strlen(out), (size_t)len);
		assert_int_equal(strspn(out, digits), (size_t)len);
		assert_int_equal(out[len + 1], 'Z');
	}
}

static void
test_bad_lengths(void **state)
{
	static const int bad[] = {OTP_CODE_MIN - 1, OTP_CODE_MAX + 1, 0, -1, 1000};
	char out[OTP_CODE_MAX + 8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 'Z', sizeof(out));
		assert_int_equal(code_random(out, bad[i], ALPHABET_HEX), -1);
		assert_int_equal(code_random(out, bad[i], ALPHABET_DIGITS), -1);
		/* And nothing written. */
		assert_int_equal(out[0], 'Z');
	}
}

/*
 * Pearson's chi-square statistic of counts against the uniform
 * distribution over k characters.
 */
static double
chi_square(const long *counts, int k, long total)
{
	double expected = (double)total / k, chi = 0;
	int i;

	for (i = 0; i < k; i++) {
		double d = (double)counts[i] - expected;

		chi += d * d / expected;
	}
	return chi;
}

/*
 * Draw CODES codes of OTP_CODE_MAX characters (200,000 characters) from
 * the alphabet and test the character counts, overall and per position,
 * against uniform.
 *
 * Thresholds, chosen generous so that a correct generator fails about
 * once in millions of runs (upper tails of the chi-square distribution):
 *	hex, 15 degrees of freedom:    60  (p = 2.5e-7)
 *	digits, 9 degrees of freedom:  50  (p = 1.1e-7)
 * The 22 per-position tests (20,000 characters each) use the same
 * thresholds: together still under 1e-5.
 *
 * What they catch: "byte % 10" without rejection makes 0-5 likelier
 * (26/256) than 6-9 (25/256); over 200,000 digits that adds about 73 to
 * the expected statistic of 9, far above 50.
 */
#define CODES 20000

static void
assert_uniform(enum config_alphabet alphabet, const char *set, int k, double threshold)
{
	long total[32] = {0}, pos[OTP_CODE_MAX][32];
	char out[OTP_CODE_MAX + 1];
	double chi;
	int i, j;

	memset(pos, 0, sizeof(pos));
	for (i = 0; i < CODES; i++) {
		assert_int_equal(code_random(out, OTP_CODE_MAX, alphabet), 0);
		for (j = 0; j < OTP_CODE_MAX; j++) {
			const char *c = strchr(set, out[j]);

			assert_non_null(c);
			total[c - set]++;
			pos[j][c - set]++;
		}
	}
	chi = chi_square(total, k, (long)CODES * OTP_CODE_MAX);
	if (chi >= threshold)
		print_error("chi-square %.1f over %d characters (threshold %.0f)\n", chi, k,
			    threshold);
	assert_true(chi < threshold);
	for (j = 0; j < OTP_CODE_MAX; j++) {
		chi = chi_square(pos[j], k, CODES);
		if (chi >= threshold)
			print_error("position %d: chi-square %.1f (threshold %.0f)\n", j, chi,
				    threshold);
		assert_true(chi < threshold);
	}
}

static void
test_uniform_hex(void **state)
{
	(void)state;
	assert_uniform(ALPHABET_HEX, hex, 16, 60.0);
}

static void
test_uniform_digits(void **state)
{
	(void)state;
	assert_uniform(ALPHABET_DIGITS, digits, 10, 50.0);
}

/* The inbound codes: 31 characters, none of 0 O 1 I L; 30 degrees of
 * freedom, whose chi-square passes 85 about once in 10^8 draws. */
static void
test_uniform_inbound(void **state)
{
	(void)state;
	assert_uniform(ALPHABET_INBOUND, "ABCDEFGHJKMNPQRSTUVWXYZ23456789", 31, 85.0);
}

/* The test itself can fail: modulo-biased digits are caught. */
static void
test_chi_square_catches_modulo_bias(void **state)
{
	long counts[10] = {0};
	long i;

	(void)state;
	for (i = 0; i < (long)CODES * OTP_CODE_MAX; i++)
		counts[(i % 256) % 10]++;
	assert_true(chi_square(counts, 10, (long)CODES * OTP_CODE_MAX) > 50.0);
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_ids(void **state)
{
	enum {
		N = 2000
	};
	char(*ids)[OTP_ID_LEN + 1] = calloc(N, sizeof(*ids));
	int i;

	(void)state;
	assert_non_null(ids);
	assert_int_equal(OTP_ID_LEN, 32);
	for (i = 0; i < N; i++) {
		assert_int_equal(code_new_id(ids[i]), 0);
		assert_int_equal(strlen(ids[i]), OTP_ID_LEN);
		assert_int_equal(strspn(ids[i], "0123456789abcdef"), OTP_ID_LEN);
		assert_true(code_is_id(ids[i]));
	}
	qsort(ids, N, sizeof(*ids), cmp_id);
	for (i = 1; i < N; i++)
		assert_string_not_equal(ids[i - 1], ids[i]);
	free(ids);
}

/* Call tokens: base64 as OpenSSL writes it, 128 random bits, one spelling. */
static void
test_call_states(void **state)
{
	char a[OTP_CALL_STATE_LEN + 1], b[OTP_CALL_STATE_LEN + 1], enc[OTP_CALL_STATE_LEN + 1];
	unsigned char raw[OTP_CALL_STATE_BYTES + 2];
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		assert_int_equal(code_call_state(a), 0);
		assert_int_equal(strlen(a), OTP_CALL_STATE_LEN);
		assert_true(code_is_call_state(a));
		/* OpenSSL reads it as 18 bytes (the padding's two zeros), and
		 * writes the 16 back as the same characters. */
		assert_int_equal(EVP_DecodeBlock(raw, (const unsigned char *)a, OTP_CALL_STATE_LEN),
				 OTP_CALL_STATE_BYTES + 2);
		assert_int_equal(EVP_EncodeBlock((unsigned char *)enc, raw, OTP_CALL_STATE_BYTES),
				 OTP_CALL_STATE_LEN);
		assert_string_equal(enc, a);
		assert_int_equal(code_call_state(b), 0);
		assert_string_not_equal(a, b);
	}
	assert_true(code_is_call_state("q83vEjRWeJCrze8SNFZ4kA=="));
	assert_false(code_is_call_state("q83vEjRWeJCrze8SNFZ4kB==")); /* bits past the byte */
	assert_false(code_is_call_state("q83vEjRWeJCrze8SNFZ4kA="));
	assert_false(code_is_call_state("q83vEjRWeJCrze8SNFZ4kAAA"));
	assert_false(code_is_call_state("q83vEjRWeJCrze8SNFZ4k-=="));
	assert_false(code_is_call_state("q83vEjRWeJCrze8SNFZ4kA=A"));
	assert_false(code_is_call_state(""));
	assert_false(code_is_call_state(NULL));
}

static void
test_is_id(void **state)
{
	(void)state;
	assert_true(code_is_id("00112233445566778899aabbccddeeff"));
	assert_false(code_is_id(NULL));
	assert_false(code_is_id(""));
	assert_false(code_is_id("00112233445566778899aabbccddeef"));
	assert_false(code_is_id("00112233445566778899aabbccddeeff0"));
	assert_false(code_is_id("00112233445566778899AABBCCDDEEFF"));
	assert_false(code_is_id("00112233445566778899aabbccddeefg"));
	assert_false(code_is_id("00112233445566778899aabbccddeef "));
	assert_false(code_is_id("../../../../../../../etc/passwd0"));
	assert_false(code_is_id("00112233445566778899aabbccddeef\n"));
}

#define KEY "secret-key-0123456789"
#define ID  "00112233445566778899aabbccddeeff"

static void
test_mac_known_value(void **state)
{
	/* python3: hmac.new(b"secret-key-0123456789",
	 *     b"00112233445566778899aabbccddeeff:A1B2C3", hashlib.sha256) */
	static const unsigned char want[OTP_MAC_LEN] = {
	    0x5c, 0x8b, 0x6d, 0x4a, 0x48, 0x24, 0xc5, 0x21, 0xd7, 0x8c, 0x06,
	    0x55, 0x6f, 0x63, 0x15, 0x88, 0xd0, 0xa0, 0xef, 0x18, 0xf8, 0xcc,
	    0x9e, 0x91, 0xca, 0x1e, 0x80, 0xdb, 0xde, 0x8f, 0x0b, 0x05,
	};
	unsigned char mac[OTP_MAC_LEN];

	(void)state;
	assert_int_equal(code_mac(KEY, ID, "A1B2C3", mac), 0);
	assert_memory_equal(mac, want, OTP_MAC_LEN);
	/* Hex codes are checked case-insensitively, as in the tutorial. */
	assert_int_equal(code_mac(KEY, ID, "a1b2c3", mac), 0);
	assert_memory_equal(mac, want, OTP_MAC_LEN);
	assert_int_equal(code_mac(KEY, ID, "a1B2c3", mac), 0);
	assert_memory_equal(mac, want, OTP_MAC_LEN);
}

static void
test_mac_differs(void **state)
{
	unsigned char a[OTP_MAC_LEN], b[OTP_MAC_LEN];

	(void)state;
	assert_int_equal(code_mac(KEY, ID, "123456", a), 0);
	assert_int_equal(code_mac(KEY, ID, "123456", b), 0);
	assert_memory_equal(a, b, OTP_MAC_LEN);
	/* Another verification's hash of the same code is worth nothing here. */
	assert_int_equal(code_mac(KEY, "ffeeddccbbaa99887766554433221100", "123456", b), 0);
	assert_memory_not_equal(a, b, OTP_MAC_LEN);
	/* Nor is one made with another key. */
	assert_int_equal(code_mac(KEY "x", ID, "123456", b), 0);
	assert_memory_not_equal(a, b, OTP_MAC_LEN);
	assert_int_equal(code_mac("", ID, "123456", b), 0);
	assert_memory_not_equal(a, b, OTP_MAC_LEN);
	/* Nor another code, however close. */
	assert_int_equal(code_mac(KEY, ID, "123457", b), 0);
	assert_memory_not_equal(a, b, OTP_MAC_LEN);
	assert_int_equal(code_mac(KEY, ID, "1234560", b), 0);
	assert_memory_not_equal(a, b, OTP_MAC_LEN);
	assert_int_equal(code_mac(KEY, ID, "", b), 0);
	assert_memory_not_equal(a, b, OTP_MAC_LEN);
}

static void
test_mac_limits(void **state)
{
	char longcode[OTP_TOKEN_MAX + 2];
	unsigned char mac[OTP_MAC_LEN];

	(void)state;
	memset(longcode, 'A', sizeof(longcode) - 1);
	longcode[sizeof(longcode) - 1] = '\0';
	/* Up to OTP_TOKEN_MAX characters (what the form lets through). */
	assert_int_equal(code_mac(KEY, ID, longcode, mac), -1);
	longcode[OTP_TOKEN_MAX] = '\0';
	assert_int_equal(code_mac(KEY, ID, longcode, mac), 0);
	assert_int_equal(code_mac(KEY, ID "0", "1234", mac), -1);
	assert_int_equal(code_mac(NULL, ID, "1234", mac), -1);
}

static void
test_equal(void **state)
{
	unsigned char a[OTP_MAC_LEN], b[OTP_MAC_LEN];

	(void)state;
	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(code_equal(a, b, sizeof(a)));
	b[0] ^= 1;
	assert_false(code_equal(a, b, sizeof(a)));
	b[0] ^= 1;
	b[OTP_MAC_LEN - 1] ^= 0x80;
	assert_false(code_equal(a, b, sizeof(a)));
	/* Only n bytes are compared. */
	assert_true(code_equal(a, b, OTP_MAC_LEN - 1));
	assert_true(code_equal(a, b, 0));
}

/* hex of n bytes into out (2n + 1). */
static void
to_hex(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* RFC 4231's test cases 1, 2, 3, 4, 6 and 7 (6 and 7: a key longer than a block). */
static void
test_hmac_rfc4231(void **state)
{
	unsigned char k20[20], k25[25], k131[131], d50[50], mac[OTP_MAC_LEN];
	char out[2 * OTP_MAC_LEN + 1];
	size_t i;

	(void)state;
	memset(k20, 0x0b, sizeof(k20));
	assert_int_equal(code_hmac(k20, 20, "Hi There", 8, mac), 0);
	to_hex(mac, sizeof(mac), out);
	assert_string_equal(out,
			    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(code_hmac("Jefe", 4, "what do ya want for nothing?", 28, mac), 0);
	to_hex(mac, sizeof(mac), out);
	assert_string_equal(out,
			    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k20, 0xaa, sizeof(k20));
	memset(d50, 0xdd, sizeof(d50));
	assert_int_equal(code_hmac(k20, 20, d50, 50, mac), 0);
	to_hex(mac, sizeof(mac), out);
	assert_string_equal(out,
			    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	for (i = 0; i < sizeof(k25); i++)
		k25[i] = (unsigned char)(i + 1);
	memset(d50, 0xcd, sizeof(d50));
	assert_int_equal(code_hmac(k25, 25, d50, 50, mac), 0);
	to_hex(mac, sizeof(mac), out);
	assert_string_equal(out,
			    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	memset(k131, 0xaa, sizeof(k131));
	assert_int_equal(
	    code_hmac(k131, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, mac),
	    0);
	to_hex(mac, sizeof(mac), out);
	assert_string_equal(out,
			    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	assert_int_equal(code_hmac(k131, 131,
				   "This is a test using a larger than block-size key and a larger "
				   "than block-size data. The key needs to be hashed before being "
				   "used by the HMAC algorithm.",
				   152, mac),
			 0);
	to_hex(mac, sizeof(mac), out);
	assert_string_equal(out,
			    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

/* The same as OpenSSL's HMAC() for every key length around the block size. */
static void
test_hmac_matches_openssl(void **state)
{
	unsigned char key[200], msg[300], mine[OTP_MAC_LEN], theirs[EVP_MAX_MD_SIZE];
	unsigned int n;
	size_t kl, ml;

	(void)state;
	for (kl = 0; kl < sizeof(key); kl++)
		key[kl] = (unsigned char)(kl * 7 + 3);
	for (ml = 0; ml < sizeof(msg); ml++)
		msg[ml] = (unsigned char)(ml * 13 + 1);
	for (kl = 0; kl <= 130; kl += 1)
		for (ml = 0; ml <= 300; ml += 37) {
			assert_int_equal(code_hmac(key, kl, msg, ml, mine), 0);
			assert_non_null(HMAC(EVP_sha256(), key, (int)kl, msg, ml, theirs, &n));
			assert_int_equal(n, OTP_MAC_LEN);
			assert_memory_equal(mine, theirs, OTP_MAC_LEN);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_call_states),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_bad_lengths),
	    cmocka_unit_test(test_uniform_hex),
	    cmocka_unit_test(test_uniform_digits),
	    cmocka_unit_test(test_uniform_inbound),
	    cmocka_unit_test(test_chi_square_catches_modulo_bias),
	    cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_is_id),
	    cmocka_unit_test(test_mac_known_value),
	    cmocka_unit_test(test_mac_differs),
	    cmocka_unit_test(test_mac_limits),
	    cmocka_unit_test(test_equal),
	    cmocka_unit_test(test_hmac_rfc4231),
	    cmocka_unit_test(test_hmac_matches_openssl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
