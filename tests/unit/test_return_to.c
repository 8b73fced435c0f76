/*
 * Proves the return_to policy: RETURN_TO_ALLOWED's entries read into
 * prefixes and CSP origins (and refused when they are neither a path nor
 * an https URL ending its host with '/'), and a return_to accepted only
 * when it begins with a prefix or, with no path prefixes listed, is a
 * path on this site; never another host, a dot segment that climbs out
 * of a prefix (plain, percent-encoded, or behind an encoded '/' or '\\'),
 * or anything but printable ASCII up to OTP_RETURN_MAX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "return_to.h"
#include "bounds.h"
#include "unit.h"

/* pol from list, which must parse. */
static void
policy(struct return_to_policy *pol, const char *list)
{
	int rc = return_to_parse(pol, list);

	if (rc != 0)
		print_error("refused: %s\n", list != NULL ? list : "(null)");
	assert_int_equal(rc, 0);
}

/* Every value of good accepted and of bad refused by pol; counts misses. */
static int
check_all(const struct return_to_policy *pol, const char *const *good, size_t ngood,
	  const char *const *bad, size_t nbad)
{
	size_t i;
	int missed = 0;

	for (i = 0; i < ngood; i++)
		if (!return_to_ok(pol, good[i])) {
			print_error("refused: %s\n", good[i]);
			missed++;
		}
	for (i = 0; i < nbad; i++)
		if (return_to_ok(pol, bad[i])) {
			print_error("accepted: %s\n", bad[i]);
			missed++;
		}
	return missed;
}

#define N(a) (sizeof(a) / sizeof(a[0]))

static void
test_parse(void **state)
{
	struct return_to_policy pol;

	(void)state;
	policy(&pol, "https://app.example.com/, /account/,https://127.0.0.1:8443/x/");
	assert_int_equal(pol.nprefixes, 3);
	assert_string_equal(pol.prefixes[0], "https://app.example.com/");
	assert_string_equal(pol.prefixes[1], "/account/");
	assert_string_equal(pol.prefixes[2], "https://127.0.0.1:8443/x/");
	assert_int_equal(pol.paths, 1);
	/* The URLs' origins, for the CSP's form-action. */
	assert_string_equal(pol.form_origins, " https://app.example.com https://127.0.0.1:8443");
	return_to_free(&pol);
	assert_null(pol.prefixes);
	assert_null(pol.form_origins);
	return_to_free(&pol);

	/* Nothing listed: no prefixes, no origins, any path on this site. */
	policy(&pol, NULL);
	assert_int_equal(pol.nprefixes, 0);
	assert_int_equal(pol.paths, 0);
	assert_null(pol.form_origins);
	return_to_free(&pol);
	policy(&pol, " , ");
	assert_int_equal(pol.nprefixes, 0);
	return_to_free(&pol);
	policy(&pol, "https://[::1]:8443/cb/");
	assert_string_equal(pol.form_origins, " https://[::1]:8443");
	assert_int_equal(pol.paths, 0);
	return_to_free(&pol);
}

static void
test_parse_refused(void **state)
{
	static const char *const bad[] = {
	    "//evil.example/",
	    "/\\evil.example/",
	    "https://app.example.com",
	    "https://app.example.com?x/",
	    "https://app.example.com@evil.example/",
	    "https://:443/",
	    "https://app.example.com:0/",
	    "https://app.example.com:99999/",
	    "javascript:alert(1)",
	    "ftp://app.example.com/",
	    "http://app.example.com/",
	    "HTTPS://app.example.com/",
	    "https:app.example.com/",
	    "app.example.com/",
	    "https://a.example/\"><x",
	    "/ok/, https://a.example",
	};
	struct return_to_policy pol;
	size_t i;

	(void)state;
	for (i = 0; i < N(bad); i++) {
		int rc;

		memset(&pol, 0x55, sizeof(pol));
		if ((rc = return_to_parse(&pol, bad[i])) != -1)
			print_error("accepted: %s\n", bad[i]);
		assert_int_equal(rc, -1);
		/* Refused: left empty, nothing to free. */
		assert_null(pol.prefixes);
		assert_int_equal(pol.nprefixes, 0);
		assert_null(pol.form_origins);
	}
}

static void
test_url_prefix(void **state)
{
	static const char *const good[] = {
	    "/",
	    "/account/",
	    "/x?a=1&b=%20#top",
	    "https://app.example.com/",
	    "https://app.example.com/next?x=1",
	};
	static const char *const bad[] = {
	    "",
	    "//evil.example/",
	    "/\\evil.example/",
	    "https://app.example.com.evil.example/",
	    "https://app.example.co/",
	    "https://evil.example/https://app.example.com/",
	    "http://app.example.com/",
	    "https://app.example.com@evil.example/",
	    "javascript:alert(1)",
	    "/a b",
	    "/a\"b",
	    "/a<b",
	    "/a\n",
	    "/\xc3\xa9",
	    "app.example.com/",
	};
	char longpath[OTP_RETURN_MAX + 2];
	struct return_to_policy pol;

	(void)state;
	policy(&pol, "https://app.example.com/");
	assert_int_equal(check_all(&pol, good, N(good), bad, N(bad)), 0);
	/* At most OTP_RETURN_MAX characters. */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[OTP_RETURN_MAX] = '\0';
	assert_true(return_to_ok(&pol, longpath));
	longpath[OTP_RETURN_MAX] = 'a';
	longpath[OTP_RETURN_MAX + 1] = '\0';
	assert_false(return_to_ok(&pol, longpath));
	return_to_free(&pol);
}

/* A list that names paths allows only those paths. */
static void
test_path_prefix(void **state)
{
	static const char *const good[] = {
	    "/account/",
	    "/account/settings?x=1",
	    "https://app.example.com/x",
	};
	static const char *const bad[] = {
	    "/", "/accounts", "/admin/", "//account/", "/account", "https://app.example.com",
	};
	struct return_to_policy pol;

	(void)state;
	policy(&pol, "/account/,https://app.example.com/");
	assert_int_equal(check_all(&pol, good, N(good), bad, N(bad)), 0);
	return_to_free(&pol);
}

/* Without RETURN_TO_ALLOWED only this site's paths. */
static void
test_no_list(void **state)
{
	struct return_to_policy pol;

	(void)state;
	policy(&pol, NULL);
	assert_true(return_to_ok(&pol, "/account/"));
	/* An encoded slash in a path of this site is still this site. */
	assert_true(return_to_ok(&pol, "/a/%2F%2Fevil.example"));
	assert_false(return_to_ok(&pol, "https://app.example.com/"));
	assert_false(return_to_ok(&pol, "//app.example.com/"));
	return_to_free(&pol);
}

/*
 * Browsers resolve dot segments ("..", also written "%2e%2e") before they
 * follow the redirect, so "/~alice/../~bob/" must not pass a list that
 * names "/~alice/": the assertion would land on another user's pages,
 * the case shared hosting has.
 */
static void
test_dot_segments(void **state)
{
	static const char *const good[] = {
	    "/~alice/done",    "/~alice/...",         "/~alice/..x/",
	    "/~alice/.hidden", "/~alice/x?next=../y", "/~alice/x#../y",
	};
	static const char *const bad[] = {
	    "/~alice/../~bob/",
	    "/~alice/%2e%2e/~bob/",
	    "/~alice/.%2E/~bob/",
	    "/~alice/./",
	    "/~alice/..",
	    "/~alice/x/..?y",
	    "https://app.example.com/x/../y/",
	    "https://app.example.com/x/%2E%2E/y/",
	};
	struct return_to_policy pol;

	(void)state;
	policy(&pol, "/~alice/,https://app.example.com/x/");
	assert_int_equal(check_all(&pol, good, N(good), bad, N(bad)), 0);
	return_to_free(&pol);
}

/*
 * Servers that decode %2F (or %5C) before they route read
 * "/alice/..%2Fbob/steal" as "/alice/../bob/steal", which is /bob/: an
 * encoded separator next to a dot segment escapes the prefix too.
 */
static void
test_encoded_separators(void **state)
{
	static const char *const good[] = {
	    "/alice/steal", "/alice/a%2Fb", "/alice/%2F%2Fx", "/alice/a%5Cb", "/alice/..x%2Fy",
	};
	static const char *const bad[] = {
	    "/alice/..%2Fbob/steal",
	    "/alice/..%2fbob/steal",
	    "/alice/..%5Cbob/steal",
	    "/alice/..%5cbob/steal",
	    "/alice/x%2F..%2F..%2Fbob",
	    "/alice/x%2f..%2f..%2fbob",
	    "/alice/%2e%2e%2Fbob",
	    "/alice/.%2F..%5Cbob",
	    "/alice/x/..%2F",
	    "https://app.example.com/alice/..%2Fbob/",
	    "https://app.example.com/alice/..%5cbob/",
	};
	struct return_to_policy pol;

	(void)state;
	policy(&pol, "/alice/,https://app.example.com/alice/");
	assert_int_equal(check_all(&pol, good, N(good), bad, N(bad)), 0);
	return_to_free(&pol);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_refused),
	    cmocka_unit_test(test_url_prefix),
	    cmocka_unit_test(test_path_prefix),
	    cmocka_unit_test(test_no_list),
	    cmocka_unit_test(test_dot_segments),
	    cmocka_unit_test(test_encoded_separators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
