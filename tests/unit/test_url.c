/*
 * Proves the one URL authority parser: scheme, host and port taken apart
 * (IPv6 literals included), what follows left alone, and refused rather
 * than guessed at: userinfo, an empty host, a host of odd characters or
 * over OTP_HOST_MAX, an empty, non-numeric, 0 or too large port, no
 * "://".  Then default ports and origins compared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "bounds.h"
#include "unit.h"

/* url parsed: scheme, host, port and rest as expected. */
static void
assert_parts(const char *url, const char *scheme, const char *host, int port, const char *rest)
{
	struct url_authority a;

	if (url_authority(url, &a) != 0)
		print_error("refused: %s\n", url);
	assert_int_equal(url_authority(url, &a), 0);
	assert_int_equal(a.scheme_len, strlen(scheme));
	assert_memory_equal(a.scheme, scheme, a.scheme_len);
	assert_int_equal(a.host_len, strlen(host));
	assert_memory_equal(a.host, host, a.host_len);
	assert_int_equal(a.port, port);
	assert_string_equal(a.rest, rest);
}

static void
test_parts(void **state)
{
	(void)state;
	assert_parts("https://example.com", "https", "example.com", 0, "");
	assert_parts("https://example.com/", "https", "example.com", 0, "/");
	assert_parts("http://127.0.0.1:8080/x?y#z", "http", "127.0.0.1", 8080, "/x?y#z");
	assert_parts("https://a.example?q", "https", "a.example", 0, "?q");
	assert_parts("https://a.example#f", "https", "a.example", 0, "#f");
	assert_parts("HTTPS://A.Example:443", "HTTPS", "A.Example", 443, "");
	assert_parts("chrome-extension://abc", "chrome-extension", "abc", 0, "");
	assert_parts("x+y.z://h_1~-.x:1", "x+y.z", "h_1~-.x", 1, "");
	assert_parts("http://h:65535", "http", "h", 65535, "");
	assert_parts("http://h:0080", "http", "h", 80, "");
}

static void
test_ipv6(void **state)
{
	struct url_authority a;

	(void)state;
	assert_parts("http://[::1]:8080/", "http", "[::1]", 8080, "/");
	assert_parts("https://[2001:db8::1]", "https", "[2001:db8::1]", 0, "");
	assert_parts("https://[::ffff:192.0.2.1]/x", "https", "[::ffff:192.0.2.1]", 0, "/x");
	assert_int_equal(url_authority("http://[::1", &a), -1);
	assert_int_equal(url_authority("http://[::1]x", &a), -1);
	assert_int_equal(url_authority("http://[::1]:", &a), -1);
	assert_int_equal(url_authority("http://[]", &a), -1);
	assert_int_equal(url_authority("http://[1]", &a), -1);
	assert_int_equal(url_authority("http://[::g]", &a), -1);
	assert_int_equal(url_authority("http://[::1%25eth0]", &a), -1);
	assert_int_equal(url_authority("http://::1/", &a), -1);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
	    /* userinfo: the host is what comes after '@', never skipped */
	    "http://127.0.0.1:80@evil.example",
	    "http://user@example.com/",
	    "http://user:pw@example.com/",
	    "http://@example.com",
	    "https://example.com@",
	    /* empty host */
	    "https://",
	    "https:///x",
	    "https://:443",
	    "file:///etc/passwd",
	    /* ports */
	    "http://h:",
	    "http://h:0",
	    "http://h:65536",
	    "http://h:123456",
	    "http://h:8a",
	    "http://h:-1",
	    "http://h:+1",
	    "http://h:1:2",
	    /* hosts */
	    "http://a b",
	    "http://a%2eb",
	    "http://a\\b",
	    "http://a\\@b",
	    "http://a;b",
	    "http://\xc3\xa9.example",
	    /* not scheme:// */
	    "example.com",
	    "//example.com",
	    "null",
	    "",
	    "https:example.com",
	    "https:/example.com",
	    "1http://example.com",
	    "ht tp://example.com",
	    "://example.com",
	};
	struct url_authority a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (url_authority(bad[i], &a) != -1)
			print_error("accepted: %s\n", bad[i]);
		assert_int_equal(url_authority(bad[i], &a), -1);
	}
}

static void
test_host_length(void **state)
{
	char url[OTP_HOST_MAX + 32];
	struct url_authority a;

	(void)state;
	memcpy(url, "https://", 8);
	memset(url + 8, 'a', OTP_HOST_MAX);
	url[8 + OTP_HOST_MAX] = '\0';
	assert_int_equal(url_authority(url, &a), 0);
	assert_int_equal(a.host_len, OTP_HOST_MAX);
	url[8 + OTP_HOST_MAX] = 'a';
	url[8 + OTP_HOST_MAX + 1] = '\0';
	assert_int_equal(url_authority(url, &a), -1);
}

/* A bare Host header: only its len bytes, all of them host[:port]. */
static void
test_host(void **state)
{
	struct url_authority a;

	(void)state;
	assert_int_equal(url_host("example.com:8080xyz", 16, &a), 0);
	assert_int_equal(a.host_len, 11);
	assert_int_equal(a.port, 8080);
	assert_null(a.scheme);
	assert_int_equal(url_port(&a), 8080);
	assert_int_equal(url_host("[::1]", 5, &a), 0);
	assert_int_equal(a.port, 0);
	assert_int_equal(url_port(&a), 0);
	assert_int_equal(url_host("", 0, &a), -1);
	assert_int_equal(url_host("a@b", 3, &a), -1);
	assert_int_equal(url_host("a/b", 3, &a), -1);
	assert_int_equal(url_host("a:", 2, &a), -1);
	assert_int_equal(url_host(":80", 3, &a), -1);
}

static void
test_ports_and_origins(void **state)
{
	struct url_authority a, b;

	(void)state;
	assert_int_equal(url_authority("http://a.example", &a), 0);
	assert_int_equal(url_port(&a), 80);
	assert_true(url_is_scheme(&a, "http"));
	assert_false(url_is_scheme(&a, "https"));
	assert_false(url_is_scheme(&a, "htt"));
	assert_int_equal(url_authority("https://a.example", &a), 0);
	assert_int_equal(url_port(&a), 443);
	assert_int_equal(url_authority("ftp://a.example", &a), 0);
	assert_int_equal(url_port(&a), 0);

	/* Default ports folded, case ignored in scheme and host. */
	assert_int_equal(url_authority("https://a.example", &a), 0);
	assert_int_equal(url_authority("HTTPS://A.EXAMPLE:443/x", &b), 0);
	assert_true(url_same_origin(&a, &b));
	assert_false(url_is_scheme(&b, "https"));
	assert_int_equal(url_authority("http://a.example:443", &b), 0);
	assert_false(url_same_origin(&a, &b));
	assert_int_equal(url_authority("https://a.example:8443", &b), 0);
	assert_false(url_same_origin(&a, &b));
	assert_int_equal(url_authority("https://a.example.evil", &b), 0);
	assert_false(url_same_origin(&a, &b));
	assert_int_equal(url_authority("http://a.example", &b), 0);
	assert_false(url_same_origin(&a, &b));
	/* A bare host has no scheme, so no origin. */
	assert_int_equal(url_host("a.example", 9, &b), 0);
	assert_false(url_same_origin(&a, &b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parts),   cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_refused), cmocka_unit_test(test_host_length),
	    cmocka_unit_test(test_host),    cmocka_unit_test(test_ports_and_origins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
