/*
 * Proves the CGI door: percent-decoding, form decoding against a field
 * table with every limit and refusal of DESIGN.md (NUL, control
 * characters, bad UTF-8, long values, repeats, too many pairs, a
 * validator's no), cookie lookup, the origin check, the cookie path,
 * reading exactly CONTENT_LENGTH bytes on every path (413 drains, a short
 * body is 400), the order of the front-line checks, and the response
 * headers every answer carries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "bounds.h"
#include "unit.h"

extern char **environ;

/* ---- cgi_urldecode ---- */

/* Decode s; returns the length (or -1), the text in out. */
static long
decode(const char *s, char *out)
{
	char *in = unit_exact(s, strlen(s));
	long n = cgi_urldecode(in, strlen(s), out);

	free(in);
	return n;
}

static void
test_urldecode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(decode("", out), 0);
	assert_string_equal(out, "");
	assert_int_equal(decode("abc", out), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(decode("a+b", out), 3);
	assert_string_equal(out, "a b");
	assert_int_equal(decode("%41", out), 1);
	assert_string_equal(out, "A");
	assert_int_equal(decode("%2B1%20202", out), 6);
	assert_string_equal(out, "+1 202");
	/* Lower and upper case hex; a literal '+' is %2B. */
	assert_int_equal(decode("%e2%82%AC%2b", out), 4);
	assert_string_equal(out, "\xe2\x82\xac+");
	/* %00 decodes (cgi_form() is the one that refuses it). */
	assert_int_equal(decode("a%00b", out), 3);
	assert_memory_equal(out, "a\0b", 3);
}

static void
test_urldecode_malformed(void **state)
{
	static const char *const bad[] = {"%",    "%4",   "a%4", "%zz",  "%4z", "%z4",
					  "abc%", "%%41", "%-1", "% 41", "%+1"};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (decode(bad[i], out) != -1)
			print_error("%s decoded\n", bad[i]);
		assert_int_equal(decode(bad[i], out), -1);
	}
}

static void
test_urldecode_len(void **state)
{
	char out[8];

	(void)state;
	/* Only len bytes: "%41" cut to "%4" is malformed, not 'A'. */
	assert_int_equal(cgi_urldecode("ab%41", 2, out), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(cgi_urldecode("ab%41", 4, out), -1);
	assert_int_equal(cgi_urldecode("ab%41", 5, out), 3);
	assert_string_equal(out, "abA");
}

/* ---- cgi_form ---- */

/* A validator that checks and normalises: hex of 4 or more, upper-cased. */
static int
valid_token(char **v, const void *arg)
{
	char *p;

	assert_ptr_equal(arg, &valid_token);
	if (strlen(*v) < 4 || strspn(*v, "0123456789ABCDEFabcdef") != strlen(*v))
		return 0;
	for (p = *v; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	return 1;
}

/* A validator that replaces the value: "" becomes absent, else "<v>!". */
static int
valid_vid(char **v, const void *arg)
{
	char *n;

	(void)arg;
	if ((*v)[0] == '\0') {
		free(*v);
		*v = NULL;
		return 1;
	}
	n = malloc(strlen(*v) + 2);
	assert_non_null(n);
	snprintf(n, strlen(*v) + 2, "%s!", *v);
	free(*v);
	*v = n;
	return 1;
}

static const struct cgi_field fields[] = {
    {"phone", NULL, 0},
    {"token", valid_token, 7},
    {"vid", NULL, 0},
};

/* The same with a validator that replaces vid's value. */
static const struct cgi_field fields_vid[] = {
    {"phone", NULL, 0},
    {"token", valid_token, 7},
    {"vid", valid_vid, 0},
};

static size_t last_bad;

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* cgi_form() on s, from a buffer without a NUL after it. */
static int
form(const char *s, char **values)
{
	char *in = unit_exact(s, strlen(s));
	int rc = cgi_form(in, strlen(s), fields, NFIELDS, &valid_token, values, &last_bad);

	free(in);
	return rc;
}

static void
free_values(char **values)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		free(values[i]);
		values[i] = NULL;
	}
}

/* A form that must be refused with 400 and all values NULL. */
static void
assert_form_refused(const char *s)
{
	char *v[NFIELDS] = {(char *)1, (char *)1, (char *)1};
	int rc = form(s, v);

	if (rc != 400)
		print_error("accepted: %.200s\n", s);
	assert_int_equal(rc, 400);
	assert_int_equal(last_bad, NFIELDS);
	assert_null(v[0]);
	assert_null(v[1]);
	assert_null(v[2]);
}

/* A form whose token validator refuses: 400, *bad names the token, only its raw value kept. */
static void
assert_validator_refused(const char *s, const char *raw)
{
	char *v[NFIELDS];

	assert_int_equal(form(s, v), 400);
	assert_int_equal(last_bad, 1);
	assert_null(v[0]);
	assert_string_equal(v[1], raw);
	assert_null(v[2]);
	free_values(v);
}

static void
test_form_fields(void **state)
{
	char *v[NFIELDS];

	(void)state;
	assert_int_equal(form("phone=%2B1+%28202%29+555-0143&token=ab12", v), 0);
	assert_string_equal(v[0], "+1 (202) 555-0143");
	assert_string_equal(v[1], "AB12"); /* the validator normalised it */
	assert_null(v[2]);
	free_values(v);

	/* Order does not matter; fields not in the table are ignored. */
	assert_int_equal(form("utm=x&vid=0011&other=%41&phone=1", v), 0);
	assert_string_equal(v[0], "1");
	assert_null(v[1]);
	assert_string_equal(v[2], "0011");
	free_values(v);

	/* An empty form, and none at all. */
	assert_int_equal(form("", v), 0);
	assert_null(v[0]);
	assert_null(v[1]);
	assert_null(v[2]);
	assert_int_equal(cgi_form(NULL, 0, fields, NFIELDS, NULL, v, &last_bad), 0);
	assert_null(v[0]);
}

static void
test_form_empty_pairs(void **state)
{
	char *v[NFIELDS];

	(void)state;
	assert_int_equal(form("phone=1&&vid=2", v), 0);
	assert_string_equal(v[0], "1");
	assert_string_equal(v[2], "2");
	free_values(v);
	assert_int_equal(form("&&&phone=1&", v), 0);
	assert_string_equal(v[0], "1");
	free_values(v);
	/* A name without '=' is an empty value; "=x" has no name. */
	assert_int_equal(form("phone&=x&vid=", v), 0);
	assert_string_equal(v[0], "");
	assert_string_equal(v[2], "");
	free_values(v);
	/* Only len bytes count. */
	assert_int_equal(cgi_form("phone=123&vid=9", 9, fields, NFIELDS, NULL, v, &last_bad), 0);
	assert_string_equal(v[0], "123");
	assert_null(v[2]);
	free_values(v);
}

static void
test_form_repeated(void **state)
{
	char *v[NFIELDS];

	(void)state;
	assert_form_refused("phone=1&phone=2");
	assert_form_refused("phone=1&vid=3&phone=1");
	/* Even when one of them is empty: which one would a handler see? */
	assert_form_refused("phone=&phone=2");
	/* Unknown fields are not looked at, repeated or not. */
	assert_int_equal(form("x=1&x=2&phone=3", v), 0);
	assert_string_equal(v[0], "3");
	free_values(v);
}

static void
test_form_bad_bytes(void **state)
{
	(void)state;
	assert_form_refused("phone=%00");
	assert_form_refused("phone=1%002");
	assert_form_refused("phone=a%0Ab");
	assert_form_refused("phone=a%0db");
	assert_form_refused("phone=%09");
	assert_form_refused("phone=%1b[31m");
	assert_form_refused("phone=%7F");
	/* Raw bytes as much as encoded ones, and in unknown fields too. */
	assert_form_refused("phone=a\tb");
	assert_form_refused("other=%00&phone=1");
	/* In a name. */
	assert_form_refused("pho%0Ane=1");
	/* Malformed percent-encoding anywhere. */
	assert_form_refused("phone=%zz");
	assert_form_refused("phone=1%");
	assert_form_refused("%zz=1");
	assert_form_refused("other=%4&phone=1");
}

static void
test_form_utf8(void **state)
{
	static const char *const bad[] = {
	    "phone=%FF",          /* never in UTF-8 */
	    "phone=%80",          /* a lone continuation byte */
	    "phone=%C3",          /* cut short */
	    "phone=%C3%28",       /* bad continuation */
	    "phone=%C0%80",       /* overlong NUL */
	    "phone=%C1%BF",       /* overlong */
	    "phone=%E0%80%AF",    /* overlong '/' */
	    "phone=%E2%82",       /* cut short */
	    "phone=%ED%A0%80",    /* a UTF-16 surrogate */
	    "phone=%F0%80%80%80", /* overlong */
	    "phone=%F4%90%80%80", /* over U+10FFFF */
	    "phone=%F5%80%80%80", /* over U+10FFFF */
	    "phone=%F0%9F%98",    /* cut short */
	    "phone=a%C3&vid=%A9", /* split across fields */
	};
	char *v[NFIELDS];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_form_refused(bad[i]);
	assert_int_equal(form("phone=%C3%A9%E2%82%AC%F0%9F%98%80%EF%BF%BD%F4%8F%BF%BF", v), 0);
	assert_string_equal(v[0], "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd"
				  "\xf4\x8f\xbf\xbf");
	free_values(v);
	/* Raw (not percent-encoded) UTF-8 is as good. */
	assert_int_equal(form("phone=\xc3\xa9", v), 0);
	assert_string_equal(v[0], "\xc3\xa9");
	free_values(v);
}

/* "name=" and then n copies of unit, into a new string (caller frees). */
static char *
repeat(const char *name, const char *unit, size_t n)
{
	size_t nl = strlen(name), ul = strlen(unit), i;
	char *s = malloc(nl + 1 + n * ul + 1);

	assert_non_null(s);
	memcpy(s, name, nl);
	s[nl] = '=';
	for (i = 0; i < n; i++)
		memcpy(s + nl + 1 + i * ul, unit, ul);
	s[nl + 1 + n * ul] = '\0';
	return s;
}

static void
test_form_value_length(void **state)
{
	char *v[NFIELDS], *s;

	(void)state;
	/* OTP_FIELD_MAX decoded bytes pass, plain or percent-encoded. */
	s = repeat("phone", "a", OTP_FIELD_MAX);
	assert_int_equal(form(s, v), 0);
	assert_int_equal(strlen(v[0]), OTP_FIELD_MAX);
	free_values(v);
	free(s);
	s = repeat("phone", "a", OTP_FIELD_MAX + 1);
	assert_form_refused(s);
	free(s);

	s = repeat("phone", "%41", OTP_FIELD_MAX);
	assert_int_equal(form(s, v), 0);
	assert_int_equal(strlen(v[0]), OTP_FIELD_MAX);
	free_values(v);
	free(s);
	s = repeat("phone", "%41", OTP_FIELD_MAX + 1);
	assert_form_refused(s);
	free(s);
	/* Two bytes of UTF-8 each: the limit is on bytes. */
	s = repeat("phone", "%C3%A9", OTP_FIELD_MAX / 2 + 1);
	assert_form_refused(s);
	free(s);
	/* The limit holds for fields the program does not take, too. */
	s = repeat("other", "a", OTP_FIELD_MAX + 1);
	assert_form_refused(s);
	free(s);
}

static void
test_form_name_length(void **state)
{
	char s[256];
	char *v[NFIELDS];

	(void)state;
	snprintf(s, sizeof(s), "%063d=1&phone=2", 0);
	assert_int_equal(form(s, v), 0);
	assert_string_equal(v[0], "2");
	free_values(v);
	snprintf(s, sizeof(s), "%064d=1&phone=2", 0);
	assert_form_refused(s);
}

static void
test_form_pairs(void **state)
{
	char *v[NFIELDS], *s;

	(void)state;
	/* "phone=1&x=1&...&x=1&x=": k + 1 pairs.  OTP_FIELDS_MAX pass, one
	 * more does not. */
	s = repeat("phone", "1&x=", OTP_FIELDS_MAX - 1);
	assert_int_equal(form(s, v), 0);
	assert_string_equal(v[0], "1");
	free_values(v);
	free(s);
	s = repeat("phone", "1&x=", OTP_FIELDS_MAX);
	assert_form_refused(s);
	free(s);
	/* Empty pairs do not count: "phone=&&&...". */
	s = repeat("phone", "&", OTP_FIELDS_MAX * 4);
	assert_int_equal(form(s, v), 0);
	assert_string_equal(v[0], "");
	free_values(v);
	free(s);
}

static void
test_form_validator(void **state)
{
	char *v[NFIELDS];

	(void)state;
	assert_int_equal(cgi_form("phone=1&token=abcd&vid=x", 24, fields_vid, NFIELDS, &valid_token,
				  v, &last_bad),
			 0);
	assert_string_equal(v[1], "ABCD"); /* normalised */
	assert_string_equal(v[2], "x!");   /* replaced */
	free_values(v);
	assert_int_equal(
	    cgi_form("phone=1&vid=", 12, fields_vid, NFIELDS, &valid_token, v, &last_bad), 0);
	assert_null(v[2]); /* "" made absent */
	free_values(v);
	/* One refusal: which field, the value as it came, and none of the others. */
	assert_validator_refused("phone=1&token=zz&vid=2", "zz");
	assert_validator_refused("token=ABC", "ABC");
	assert_validator_refused("token=&phone=1", "");
}

/* ---- cgi_cookie ---- */

static void
test_cookie(void **state)
{
	char out[33];

	(void)state;
	assert_int_equal(cgi_cookie("otp_vid=abc", "otp_vid", out, sizeof(out)), 1);
	assert_string_equal(out, "abc");
	assert_int_equal(cgi_cookie("a=1; otp_vid=abc; b=2", "otp_vid", out, sizeof(out)), 1);
	assert_string_equal(out, "abc");
	assert_int_equal(cgi_cookie("a=1;otp_vid=abc;b=2", "otp_vid", out, sizeof(out)), 1);
	assert_string_equal(out, "abc");
	assert_int_equal(cgi_cookie("  otp_vid=abc  ;  b=2", "otp_vid", out, sizeof(out)), 1);
	assert_string_equal(out, "abc");
	assert_int_equal(cgi_cookie("a=1; otp_vid=abc", "otp_vid", out, sizeof(out)), 1);
	assert_string_equal(out, "abc");
	/* '=' in a value is part of it. */
	assert_int_equal(cgi_cookie("otp_vid=a=b", "otp_vid", out, sizeof(out)), 1);
	assert_string_equal(out, "a=b");
}

static void
test_cookie_names(void **state)
{
	char out[33];

	(void)state;
	/* A name that ends with ours, begins with ours, or is in a value. */
	assert_int_equal(cgi_cookie("xotp_vid=evil", "otp_vid", out, sizeof(out)), 0);
	assert_int_equal(cgi_cookie("xotp_vid=evil; otp_vid=good", "otp_vid", out, sizeof(out)), 1);
	assert_string_equal(out, "good");
	assert_int_equal(cgi_cookie("otp_vidx=evil", "otp_vid", out, sizeof(out)), 0);
	assert_int_equal(cgi_cookie("otp_vid2=evil; otp_vid=good", "otp_vid", out, sizeof(out)), 1);
	assert_string_equal(out, "good");
	assert_int_equal(cgi_cookie("x=otp_vid=evil", "otp_vid", out, sizeof(out)), 0);
	assert_int_equal(cgi_cookie("OTP_VID=evil", "otp_vid", out, sizeof(out)), 0);
	assert_int_equal(cgi_cookie("otp_vid", "otp_vid", out, sizeof(out)), 0);
}

static void
test_cookie_empty_and_long(void **state)
{
	char out[33];

	(void)state;
	assert_int_equal(cgi_cookie(NULL, "otp_vid", out, sizeof(out)), 0);
	assert_int_equal(cgi_cookie("", "otp_vid", out, sizeof(out)), 0);
	assert_int_equal(cgi_cookie(" ; ;", "otp_vid", out, sizeof(out)), 0);
	assert_int_equal(cgi_cookie("otp_vid=", "otp_vid", out, sizeof(out)), 0);
	assert_int_equal(cgi_cookie("otp_vid=   ; a=1", "otp_vid", out, sizeof(out)), 0);
	assert_int_equal(cgi_cookie("otp_vid=abc", "otp_vid", out, 0), 0);
	/* size - 1 characters fit, size do not (and nothing is cut). */
	assert_int_equal(
	    cgi_cookie("otp_vid=0123456789abcdef0123456789abcdef", "otp_vid", out, sizeof(out)), 1);
	assert_string_equal(out, "0123456789abcdef0123456789abcdef");
	assert_int_equal(
	    cgi_cookie("otp_vid=0123456789abcdef0123456789abcdef0", "otp_vid", out, sizeof(out)),
	    0);
	assert_int_equal(cgi_cookie("otp_vid=ab", "otp_vid", out, 2), 0);
	assert_int_equal(cgi_cookie("otp_vid=a", "otp_vid", out, 2), 1);
	assert_string_equal(out, "a");
}

/* ---- cgi_same_origin ---- */

static void
test_same_origin(void **state)
{
	(void)state;
	assert_true(cgi_same_origin("example.com", "https://example.com", NULL));
	assert_true(cgi_same_origin("example.com", "http://example.com", NULL));
	assert_true(cgi_same_origin("Example.COM", "https://example.com", NULL));
	/* Default ports may be written or left out on either side. */
	assert_true(cgi_same_origin("example.com", "http://example.com:80", NULL));
	assert_true(cgi_same_origin("example.com", "https://example.com:443", NULL));
	assert_true(cgi_same_origin("example.com:443", "https://example.com", NULL));
	assert_true(cgi_same_origin("example.com:80", "http://example.com", NULL));
	assert_true(cgi_same_origin("127.0.0.1:8080", "http://127.0.0.1:8080", NULL));
	assert_true(cgi_same_origin("[::1]:8080", "http://[::1]:8080", NULL));
	/* Neither header: a client that sends none (curl, old browsers). */
	assert_true(cgi_same_origin("example.com", NULL, NULL));
	assert_true(cgi_same_origin(NULL, NULL, NULL));
}

static void
test_other_origin(void **state)
{
	(void)state;
	assert_false(cgi_same_origin("example.com", "https://evil.example", NULL));
	assert_false(cgi_same_origin("example.com", "https://example.com.evil.example", NULL));
	assert_false(cgi_same_origin("example.com", "https://evil.example/example.com", NULL));
	assert_false(cgi_same_origin("example.com", "https://xexample.com", NULL));
	assert_false(cgi_same_origin("example.com:8080", "http://example.com", NULL));
	assert_false(cgi_same_origin("example.com", "http://example.com:8080", NULL));
	assert_false(cgi_same_origin("127.0.0.1:8080", "http://127.0.0.1:8081", NULL));
	/* Sandboxed frames and file: pages send "null". */
	assert_false(cgi_same_origin("example.com", "null", NULL));
	assert_false(cgi_same_origin("example.com", "", NULL));
	assert_false(cgi_same_origin("example.com", "example.com", NULL));
	assert_false(cgi_same_origin("example.com", "https://", NULL));
	assert_false(cgi_same_origin("example.com", "file:///etc/passwd", NULL));
	/* Userinfo: the host is what comes after '@'. */
	assert_false(cgi_same_origin("example.com", "http://a@evil", NULL));
	assert_false(cgi_same_origin("example.com", "http://example.com@evil.example", NULL));
	assert_false(cgi_same_origin("evil.example", "http://example.com@evil.example", NULL));
	/* Even when the Host header (which the client writes) has one too. */
	assert_false(cgi_same_origin("a@evil", "http://a@evil", NULL));
	/* Without a Host to compare with, an Origin cannot be checked. */
	assert_false(cgi_same_origin(NULL, "https://example.com", NULL));
	assert_false(cgi_same_origin(NULL, NULL, "https://example.com/"));
}

static void
test_referer_fallback(void **state)
{
	char longurl[700], longhost[600];

	(void)state;
	assert_true(
	    cgi_same_origin("example.com", NULL, "https://example.com/cgi-bin/request.cgi"));
	assert_true(cgi_same_origin("example.com", NULL, "https://example.com?x=1"));
	assert_true(cgi_same_origin("example.com", NULL, "https://example.com#top"));
	assert_false(cgi_same_origin("example.com", NULL, "https://evil.example/example.com"));
	assert_false(cgi_same_origin("example.com", NULL, "/cgi-bin/request.cgi"));
	/* The Origin decides when there is one. */
	assert_false(
	    cgi_same_origin("example.com", "https://evil.example", "https://example.com/"));
	assert_true(cgi_same_origin("example.com", "https://example.com", "https://evil.example/"));
	/* Over-long hosts are refused rather than cut. */
	snprintf(longhost, sizeof(longhost), "%0300d.example", 0);
	snprintf(longurl, sizeof(longurl), "https://%s/", longhost);
	assert_false(cgi_same_origin(longhost, NULL, longurl));
	assert_false(cgi_same_origin(longhost, longurl, NULL));
}

/* ---- cgi_script_dir ---- */

static void
test_script_dir(void **state)
{
	char out[64];

	(void)state;
	cgi_script_dir("/cgi-bin/request.cgi", out, sizeof(out));
	assert_string_equal(out, "/cgi-bin/");
	cgi_script_dir("/~user/otp/cgi-bin/verify.cgi", out, sizeof(out));
	assert_string_equal(out, "/~user/otp/cgi-bin/");
	cgi_script_dir("/request.cgi", out, sizeof(out));
	assert_string_equal(out, "/");
	cgi_script_dir(NULL, out, sizeof(out));
	assert_string_equal(out, "/");
	cgi_script_dir("", out, sizeof(out));
	assert_string_equal(out, "/");
	cgi_script_dir("request.cgi", out, sizeof(out));
	assert_string_equal(out, "/");
	/* Nothing that could end the cookie's Path attribute or the header. */
	cgi_script_dir("/a;Domain=evil/x.cgi", out, sizeof(out));
	assert_string_equal(out, "/");
	cgi_script_dir("/a b/x.cgi", out, sizeof(out));
	assert_string_equal(out, "/");
	cgi_script_dir("/a\r\nSet-Cookie:x/x.cgi", out, sizeof(out));
	assert_string_equal(out, "/");
	/* Too long for out: "/", never a cut path. */
	cgi_script_dir("/cgi-bin/request.cgi", out, 9);
	assert_string_equal(out, "/");
	cgi_script_dir("/cgi-bin/request.cgi", out, 10);
	assert_string_equal(out, "/cgi-bin/");
	cgi_script_dir("/cgi-bin/request.cgi", out, 1);
	assert_string_equal(out, "");
}

/* ---- cgi_read ---- */

static void
env_clear(void)
{
	static const char *const vars[] = {
	    "REQUEST_METHOD", "CONTENT_LENGTH", "CONTENT_TYPE", "HTTPS",
	    "HTTP_HOST",      "HTTP_ORIGIN",    "HTTP_REFERER", "HTTP_COOKIE",
	    "QUERY_STRING",   "SCRIPT_NAME",    "REMOTE_ADDR",  "HTTP_ACCEPT",
	};
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

static int
env_setup(void **state)
{
	(void)state;
	env_clear();
	return 0;
}

/*
 * cgi_read() from a stream of size bytes (all 'a', or body) with
 * CONTENT_LENGTH cl (NULL: unset); *consumed gets how far it read.
 */
static void
read_body(struct cgi_req *req, const char *cl, const char *body, size_t size, long *consumed)
{
	char *buf = malloc(size > 0 ? size : 1);
	FILE *in;

	assert_non_null(buf);
	if (body != NULL)
		memcpy(buf, body, size);
	else
		memset(buf, 'a', size);
	setenv("REQUEST_METHOD", "POST", 1);
	if (cl != NULL)
		setenv("CONTENT_LENGTH", cl, 1);
	else
		unsetenv("CONTENT_LENGTH");
	/* fmemopen() wants a size of at least 1; CONTENT_LENGTH says how
	 * much of it is the body. */
	in = fmemopen(buf, size > 0 ? size : 1, "r");
	assert_non_null(in);
	cgi_read(req, environ, in);
	*consumed = ftell(in);
	fclose(in);
	free(buf);
}

static void
test_read_exact(void **state)
{
	struct cgi_req req;
	long at;

	(void)state;
	/* Exactly CONTENT_LENGTH bytes, not one more. */
	read_body(&req, "7", "phone=1&more", 12, &at);
	assert_int_equal(req.read_status, 0);
	assert_int_equal(req.body_len, 7);
	assert_string_equal(req.body, "phone=1");
	assert_int_equal(at, 7);
	cgi_free(&req);
	assert_null(req.body);

	read_body(&req, "0", "phone=1", 7, &at);
	assert_int_equal(req.read_status, 0);
	assert_int_equal(req.body_len, 0);
	assert_string_equal(req.body, "");
	assert_int_equal(at, 0);
	cgi_free(&req);

	/* The largest body kept. */
	read_body(&req, "8192", NULL, OTP_BODY_MAX + 100, &at);
	assert_int_equal(req.read_status, 0);
	assert_int_equal(req.body_len, OTP_BODY_MAX);
	assert_int_equal(strlen(req.body), OTP_BODY_MAX);
	assert_int_equal(at, OTP_BODY_MAX);
	cgi_free(&req);
}

static void
test_read_no_length(void **state)
{
	struct cgi_req req;
	long at;

	(void)state;
	/* No CONTENT_LENGTH: no body, and nothing read (EOF may never come). */
	read_body(&req, NULL, "phone=1", 7, &at);
	assert_int_equal(req.read_status, 0);
	assert_null(req.body);
	assert_int_equal(req.body_len, 0);
	assert_int_equal(at, 0);
	/* An empty one counts as none. */
	read_body(&req, "", "phone=1", 7, &at);
	assert_int_equal(req.read_status, 0);
	assert_null(req.body);
	assert_int_equal(at, 0);
}

static void
test_read_short(void **state)
{
	struct cgi_req req;
	long at;

	(void)state;
	read_body(&req, "20", "phone=1", 7, &at);
	assert_int_equal(req.read_status, 400);
	assert_int_equal(at, 7);
	cgi_free(&req);
	read_body(&req, "8192", NULL, 100, &at);
	assert_int_equal(req.read_status, 400);
	cgi_free(&req);
}

static void
test_read_too_large(void **state)
{
	struct cgi_req req;
	long at;

	(void)state;
	/* Over the limit: 413, and the whole body read (drained). */
	read_body(&req, "8193", NULL, OTP_BODY_MAX + 1, &at);
	assert_int_equal(req.read_status, 413);
	assert_null(req.body);
	assert_int_equal(at, OTP_BODY_MAX + 1);
	read_body(&req, "10000", NULL, 20000, &at);
	assert_int_equal(req.read_status, 413);
	assert_int_equal(at, 10000);
	/* Past OTP_DRAIN_MAX the program gives up draining. */
	read_body(&req, "2000000", NULL, 2000000, &at);
	assert_int_equal(req.read_status, 413);
	assert_int_equal(at, OTP_DRAIN_MAX);
	/* A huge length announced, little sent: no hang, no more read. */
	read_body(&req, "18446744073709551615", NULL, 5000, &at);
	assert_int_equal(req.read_status, 413);
	assert_int_equal(at, 5000);
}

static void
test_read_bad_length(void **state)
{
	static const char *const bad[] = {"-1",
					  "abc",
					  "1e3",
					  " 5",
					  "5 ",
					  "+5",
					  "0x10",
					  "5a",
					  "1.0",
					  "\t5",
					  "99999999999999999999999"};
	struct cgi_req req;
	size_t i;
	long at;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		read_body(&req, bad[i], "phone=1", 7, &at);
		if (req.read_status != 400)
			print_error("CONTENT_LENGTH '%s': %d\n", bad[i], req.read_status);
		assert_int_equal(req.read_status, 400);
		assert_null(req.body);
		cgi_free(&req);
	}
}

static void
test_read_environment(void **state)
{
	struct cgi_req req;
	char big[OTP_HEADER_MAX + 2];
	long at;

	(void)state;
	setenv("HTTPS", "on", 1);
	setenv("HTTP_HOST", "example.com", 1);
	setenv("HTTP_ORIGIN", "https://example.com", 1);
	setenv("HTTP_COOKIE", "otp_vid=1", 1);
	setenv("CONTENT_TYPE", "application/x-www-form-urlencoded", 1);
	setenv("QUERY_STRING", "", 1);
	setenv("SCRIPT_NAME", "/cgi-bin/request.cgi", 1);
	read_body(&req, "0", "", 0, &at);
	assert_int_equal(req.method, CGI_POST);
	assert_int_equal(req.https, 1);
	assert_string_equal(req.host, "example.com");
	assert_string_equal(req.origin, "https://example.com");
	assert_string_equal(req.cookie, "otp_vid=1");
	assert_string_equal(req.script_name, "/cgi-bin/request.cgi");
	/* Empty and missing variables are both NULL. */
	assert_null(req.query);
	assert_null(req.referer);
	assert_null(req.remote_addr);
	cgi_free(&req);

	/* Over-long headers are ignored, not cut (a Cookie has a larger cap:
	 * sites' own cookies can be big)... */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setenv("HTTP_COOKIE", big, 1);
	setenv("HTTPS", "off", 1);
	read_body(&req, "0", "", 0, &at);
	assert_non_null(req.cookie);
	cgi_free(&req);
	{
		char *huge = malloc(OTP_COOKIE_MAX + 2);

		assert_non_null(huge);
		memset(huge, 'a', OTP_COOKIE_MAX + 1);
		huge[OTP_COOKIE_MAX + 1] = '\0';
		setenv("HTTP_COOKIE", huge, 1);
		free(huge);
	}
	read_body(&req, "0", "", 0, &at);
	assert_null(req.cookie);
	assert_int_equal(req.https, 0);
	assert_int_equal(cgi_check(&req, NULL), 0);
	cgi_free(&req);
	/* ...except Origin and Referer: an over-long one is no match, not absent. */
	memcpy(big, "https://", 8);
	setenv("HTTP_ORIGIN", big, 1);
	read_body(&req, "0", "", 0, &at);
	assert_non_null(req.origin);
	assert_int_equal(cgi_check(&req, NULL), 403);
	cgi_free(&req);
	unsetenv("HTTP_ORIGIN");
	setenv("HTTP_REFERER", big, 1);
	read_body(&req, "0", "", 0, &at);
	assert_non_null(req.referer);
	assert_int_equal(cgi_check(&req, NULL), 403);
	cgi_free(&req);
	setenv("HTTPS", "1", 1);
	read_body(&req, "0", "", 0, &at);
	assert_int_equal(req.https, 1);
	cgi_free(&req);
}

/* A query over OTP_QUERY_MAX is 414, not silently dropped with its return_to. */
static void
test_read_query_too_long(void **state)
{
	char *q = malloc(OTP_QUERY_MAX + 2);
	struct cgi_req req;
	long at;

	(void)state;
	assert_non_null(q);
	memset(q, 'a', OTP_QUERY_MAX + 1);
	memcpy(q, "return_to=/x&", 13);
	q[OTP_QUERY_MAX] = '\0';
	setenv("QUERY_STRING", q, 1);
	read_body(&req, "7", "phone=1", 7, &at);
	assert_int_equal(req.read_status, 0);
	assert_non_null(req.query);
	assert_int_equal(strlen(req.query), OTP_QUERY_MAX);
	cgi_free(&req);

	q[OTP_QUERY_MAX] = 'a';
	q[OTP_QUERY_MAX + 1] = '\0';
	setenv("QUERY_STRING", q, 1);
	read_body(&req, "7", "phone=1", 7, &at);
	assert_int_equal(req.read_status, 414);
	assert_null(req.query);
	/* The body is read all the same. */
	assert_int_equal(at, 7);
	req.method = CGI_GET;
	assert_int_equal(cgi_check(&req, NULL), 414);
	/* After 405 only. */
	req.method = CGI_OTHER;
	assert_int_equal(cgi_check(&req, NULL), 405);
	cgi_free(&req);
	/* Before a body too large, which is drained all the same. */
	read_body(&req, "9000", NULL, 9000, &at);
	assert_int_equal(req.read_status, 414);
	assert_int_equal(at, 9000);
	assert_int_equal(cgi_check(&req, NULL), 414);
	cgi_free(&req);
	unsetenv("QUERY_STRING");
	free(q);
}

static void
test_read_methods(void **state)
{
	static const struct {
		const char *method;
		enum cgi_method want;
	} cases[] = {
	    {"GET", CGI_GET},   {"POST", CGI_POST},  {"PUT", CGI_OTHER},
	    {"get", CGI_OTHER}, {"HEAD", CGI_OTHER}, {"POSTX", CGI_OTHER},
	};
	static char x[] = "x";
	struct cgi_req req;
	size_t i;
	FILE *in = fmemopen(x, 1, "r");

	(void)state;
	assert_non_null(in);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("REQUEST_METHOD", cases[i].method, 1);
		cgi_read(&req, environ, in);
		assert_int_equal(req.method, cases[i].want);
		cgi_free(&req);
	}
	/* No REQUEST_METHOD at all: not a CGI request we answer. */
	unsetenv("REQUEST_METHOD");
	cgi_read(&req, environ, in);
	assert_int_equal(req.method, CGI_OTHER);
	cgi_free(&req);
	fclose(in);
}

/* cgi_param(): NAME=value by whole name, the first of a repeat. */
static void
test_param(void **state)
{
	static char p0[] = "HTTP_HOSTX=no", p1[] = "HTTP_HOS=no", p2[] = "HTTP_HOST=a.example",
		    p3[] = "EMPTY=", p4[] = "NOEQUALS", p5[] = "HTTP_HOST=b.example";
	char *const list[] = {p0, p1, p2, p3, p4, p5, NULL};

	(void)state;
	assert_string_equal(cgi_param(list, "HTTP_HOST"), "a.example");
	assert_string_equal(cgi_param(list, "EMPTY"), "");
	assert_null(cgi_param(list, "NOEQUALS"));
	assert_null(cgi_param(list, "HTTP"));
	assert_null(cgi_param(list, "MISSING"));
	assert_null(cgi_param(NULL, "HTTP_HOST"));
}

/*
 * cgi_read() reads the list it is given (a FastCGI request's parameters),
 * never the process' environment.
 */
static void
test_read_own_list(void **state)
{
	static char p0[] = "REQUEST_METHOD=POST", p1[] = "CONTENT_LENGTH=7",
		    p2[] = "HTTP_HOST=a.example", p3[] = "QUERY_STRING=x=1", body[] = "phone=1";
	char *const list[] = {p0, p1, p2, p3, NULL};
	struct cgi_req req;
	FILE *in = fmemopen(body, 7, "r");

	(void)state;
	assert_non_null(in);
	setenv("REQUEST_METHOD", "GET", 1);
	setenv("HTTP_HOST", "process.example", 1);
	setenv("HTTP_COOKIE", "otp_vid=process", 1);
	cgi_read(&req, list, in);
	assert_ptr_equal(req.env, list);
	assert_int_equal(req.method, CGI_POST);
	assert_int_equal(req.read_status, 0);
	assert_string_equal(req.body, "phone=1");
	assert_string_equal(req.host, "a.example");
	assert_string_equal(req.query, "x=1");
	assert_null(req.cookie);
	cgi_free(&req);
	fclose(in);
	env_clear();
}

/* ---- cgi_check ---- */

static struct cgi_req
post(void)
{
	struct cgi_req r;

	memset(&r, 0, sizeof(r));
	r.method = CGI_POST;
	r.content_type = "application/x-www-form-urlencoded";
	r.host = "example.com";
	r.origin = "https://example.com";
	return r;
}

static void
test_check_order(void **state)
{
	struct cgi_req r = post();

	(void)state;
	assert_int_equal(cgi_check(&r, NULL), 0);
	/* Each failure shows only when every earlier check passes. */
	r.method = CGI_OTHER;
	r.read_status = 413;
	r.content_type = "text/plain";
	r.origin = "https://evil.example";
	assert_int_equal(cgi_check(&r, NULL), 405);
	r.method = CGI_POST;
	assert_int_equal(cgi_check(&r, NULL), 413);
	r.read_status = 400;
	assert_int_equal(cgi_check(&r, NULL), 400);
	r.read_status = 0;
	assert_int_equal(cgi_check(&r, NULL), 415);
	r.content_type = "application/x-www-form-urlencoded";
	assert_int_equal(cgi_check(&r, NULL), 403);
	r.origin = "https://example.com";
	assert_int_equal(cgi_check(&r, NULL), 0);
	/* GET has no body to type and nothing to forge. */
	r.method = CGI_GET;
	r.content_type = NULL;
	r.origin = "https://evil.example";
	assert_int_equal(cgi_check(&r, NULL), 0);
	r.read_status = 413;
	assert_int_equal(cgi_check(&r, NULL), 413);
}

static void
test_check_content_type(void **state)
{
	static const char *const good[] = {
	    "application/x-www-form-urlencoded",
	    "application/x-www-form-urlencoded; charset=UTF-8",
	    "application/x-www-form-urlencoded;charset=utf-8",
	    "APPLICATION/X-WWW-FORM-URLENCODED",
	};
	static const char *const bad[] = {
	    "multipart/form-data; boundary=x",
	    "text/plain",
	    "application/json",
	    "application/x-www-form-urlencodedx",
	    "application/x-www-form",
	    "",
	};
	struct cgi_req r = post();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		r.content_type = good[i];
		assert_int_equal(cgi_check(&r, NULL), 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.content_type = bad[i];
		assert_int_equal(cgi_check(&r, NULL), 415);
	}
	r.content_type = NULL;
	assert_int_equal(cgi_check(&r, NULL), 415);
}

/*
 * With SITE_ORIGIN the POST's Origin (or Referer) must be that origin:
 * the Host header, which a DNS-rebinding page controls, is not read.
 */
static void
test_check_site_origin(void **state)
{
	static const char site[] = "https://example.com";
	struct cgi_req r = post();

	(void)state;
	/* A page on evil whose name now points at this server. */
	r.host = "evil";
	r.origin = "http://evil";
	assert_int_equal(cgi_check(&r, NULL), 0); /* what Host-based checking lets through */
	assert_int_equal(cgi_check(&r, site), 403);
	r.origin = NULL;
	r.referer = "http://evil/page.html";
	assert_int_equal(cgi_check(&r, NULL), 0);
	assert_int_equal(cgi_check(&r, site), 403);
	/* The real origin passes, whatever Host says. */
	r.referer = NULL;
	r.origin = "https://example.com";
	assert_int_equal(cgi_check(&r, site), 0);
	r.host = NULL;
	assert_int_equal(cgi_check(&r, site), 0);
	r.origin = "HTTPS://Example.com:443";
	assert_int_equal(cgi_check(&r, site), 0);
	r.origin = NULL;
	r.referer = "https://example.com/cgi-bin/request.cgi?x=1";
	assert_int_equal(cgi_check(&r, site), 0);
	/* Scheme, host and port must all match; an Origin is nothing more. */
	r.referer = NULL;
	r.host = "example.com";
	r.origin = "http://example.com";
	assert_int_equal(cgi_check(&r, site), 403);
	r.origin = "https://example.com:8443";
	assert_int_equal(cgi_check(&r, site), 403);
	r.origin = "https://example.com.evil.example";
	assert_int_equal(cgi_check(&r, site), 403);
	r.origin = "https://example.com@evil.example";
	assert_int_equal(cgi_check(&r, site), 403);
	r.origin = "https://example.com/";
	assert_int_equal(cgi_check(&r, site), 403);
	r.origin = "null";
	assert_int_equal(cgi_check(&r, site), 403);
	/* The Origin decides when there is one. */
	r.origin = "https://evil.example";
	r.referer = "https://example.com/";
	assert_int_equal(cgi_check(&r, site), 403);
	/* Neither header: as without SITE_ORIGIN, a client that sends none. */
	r.origin = NULL;
	r.referer = NULL;
	assert_int_equal(cgi_check(&r, site), 0);
	/* A port that is not the default, and GET, which is never checked. */
	r.origin = "http://127.0.0.1:8080";
	assert_int_equal(cgi_check(&r, "http://127.0.0.1:8080"), 0);
	assert_int_equal(cgi_check(&r, "http://127.0.0.1:8081"), 403);
	r.method = CGI_GET;
	assert_int_equal(cgi_check(&r, "http://127.0.0.1:8081"), 0);
}

/* ---- cgi_write ---- */

/* cgi_write() into a string (caller frees); *rc gets its result. */
static char *
write_reply(const struct cgi_reply *reply, int *rc, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);

	assert_non_null(out);
	*rc = cgi_write(reply, out);
	fclose(out);
	if (len != NULL)
		*len = n;
	return buf;
}

static void
test_write_headers(void **state)
{
	struct cgi_reply r = {.status = 200, .body = "hello", .body_len = 5};
	char *s, *end;
	size_t n;
	int rc;

	(void)state;
	s = write_reply(&r, &rc, &n);
	assert_int_equal(rc, 0);
	assert_memory_equal(s, "Status: 200 OK\r\n", 16);
	assert_non_null(strstr(s, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
	assert_non_null(strstr(s, "\r\nContent-Security-Policy: default-src 'none';"));
	assert_non_null(strstr(s, "frame-ancestors 'none'"));
	assert_non_null(strstr(s, "form-action 'self'"));
	assert_non_null(strstr(s, "\r\nX-Content-Type-Options: nosniff\r\n"));
	assert_non_null(strstr(s, "\r\nX-Frame-Options: DENY\r\n"));
	/* same-origin: no-referrer would make browsers send "Origin: null"
	 * with our own forms (see cgi_write()). */
	assert_non_null(strstr(s, "\r\nReferrer-Policy: same-origin\r\n"));
	assert_non_null(strstr(s, "\r\nCache-Control: no-store\r\n"));
	assert_non_null(strstr(s, "\r\nContent-Length: 5\r\n"));
	assert_null(strstr(s, "Allow:"));
	assert_null(strstr(s, "Retry-After:"));
	assert_null(strstr(s, "Set-Cookie:"));
	assert_null(strstr(s, "Location:"));
	/* One blank line, then exactly the body. */
	end = strstr(s, "\r\n\r\n");
	assert_non_null(end);
	assert_int_equal(n, (size_t)(end - s) + 4 + 5);
	assert_memory_equal(end + 4, "hello", 5);
	/* No bare LF anywhere in the head. */
	for (char *p = s; p < end; p++)
		if (*p == '\n')
			assert_int_equal(p[-1], '\r');
	free(s);
}

static void
test_write_optional_headers(void **state)
{
	struct cgi_reply r = {.status = 405};
	char *s;
	int rc;

	(void)state;
	s = write_reply(&r, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_memory_equal(s, "Status: 405 Method Not Allowed\r\n", 32);
	assert_non_null(strstr(s, "\r\nAllow: GET, POST\r\n"));
	assert_non_null(strstr(s, "\r\nContent-Length: 0\r\n\r\n"));
	free(s);

	r = (struct cgi_reply){.status = 429, .retry_after = 30};
	s = write_reply(&r, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(s, "\r\nRetry-After: 30\r\n"));
	assert_null(strstr(s, "Allow:"));
	free(s);

	r = (struct cgi_reply){.status = 303,
			       .set_cookie =
				   "otp_vid=ab; HttpOnly; SameSite=Strict; Path=/cgi-bin/",
			       .location = "/cgi-bin/verify.cgi",
			       .content_type = "text/plain"};
	s = write_reply(&r, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_non_null(
	    strstr(s, "\r\nSet-Cookie: otp_vid=ab; HttpOnly; SameSite=Strict; Path=/cgi-bin/\r\n"));
	assert_non_null(strstr(s, "\r\nLocation: /cgi-bin/verify.cgi\r\n"));
	assert_non_null(strstr(s, "\r\nContent-Type: text/plain\r\n"));
	free(s);

	/* Two cookies, and the site's origins allowed as form targets. */
	r = (struct cgi_reply){.status = 200,
			       .set_cookie = "otp_vid=ab; HttpOnly",
			       .set_cookie2 = "otp_assertion=x; Secure",
			       .form_origins = " https://app.example.com"};
	s = write_reply(&r, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(s, "\r\nSet-Cookie: otp_vid=ab; HttpOnly\r\n"));
	assert_non_null(strstr(s, "\r\nSet-Cookie: otp_assertion=x; Secure\r\n"));
	assert_non_null(strstr(s, "form-action 'self' https://app.example.com; frame-ancestors"));
	free(s);
}

static void
test_write_refuses_injection(void **state)
{
	static const char *const bad[] = {"a=b\r\nX-Evil: 1", "a=b\nX-Evil: 1", "a=b\rx", "a=\x01",
					  "a=\x7f"};
	struct cgi_reply r;
	char *s;
	size_t i, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = (struct cgi_reply){.status = 200, .set_cookie = bad[i]};
		unit_cap_begin();
		s = write_reply(&r, &rc, &n);
		free(unit_cap_end());
		assert_int_equal(rc, -1);
		/* Nothing at all written: the program can still answer 500. */
		assert_int_equal(n, 0);
		free(s);
		r = (struct cgi_reply){.status = 303, .location = bad[i]};
		unit_cap_begin();
		s = write_reply(&r, &rc, &n);
		free(unit_cap_end());
		assert_int_equal(rc, -1);
		assert_int_equal(n, 0);
		free(s);
		r = (struct cgi_reply){.status = 200, .content_type = bad[i]};
		unit_cap_begin();
		s = write_reply(&r, &rc, &n);
		free(unit_cap_end());
		assert_int_equal(rc, -1);
		assert_int_equal(n, 0);
		free(s);
		r = (struct cgi_reply){.status = 200, .set_cookie2 = bad[i]};
		unit_cap_begin();
		s = write_reply(&r, &rc, &n);
		free(unit_cap_end());
		assert_int_equal(rc, -1);
		assert_int_equal(n, 0);
		free(s);
		r = (struct cgi_reply){.status = 200, .form_origins = bad[i]};
		unit_cap_begin();
		s = write_reply(&r, &rc, &n);
		free(unit_cap_end());
		assert_int_equal(rc, -1);
		assert_int_equal(n, 0);
		free(s);
	}
}

static void
test_reasons(void **state)
{
	static const struct {
		int status;
		const char *reason;
	} cases[] = {
	    {200, "OK"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {405, "Method Not Allowed"},
	    {409, "Conflict"},
	    {410, "Gone"},
	    {413, "Content Too Large"},
	    {414, "URI Too Long"},
	    {415, "Unsupported Media Type"},
	    {422, "Unprocessable Content"},
	    {429, "Too Many Requests"},
	    {500, "Internal Server Error"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(cgi_reason(cases[i].status), cases[i].reason);
	assert_non_null(cgi_reason(999));
}

/* The visitor's id: the field's when it holds one, else the cookie's. */
static void
test_vid(void **state)
{
	struct cgi_req req;
	char id[OTP_ID_LEN + 1];

	(void)state;
	memset(&req, 0, sizeof(req));
	req.cookie = "a=1; otp_vid=00112233445566778899aabbccddeeff; b=2";
	assert_int_equal(cgi_vid(&req, NULL, id), 1);
	assert_string_equal(id, "00112233445566778899aabbccddeeff");
	assert_int_equal(cgi_vid(&req, "ffeeddccbbaa99887766554433221100", id), 1);
	assert_string_equal(id, "ffeeddccbbaa99887766554433221100");
	/* A field that is no id falls back to the cookie. */
	assert_int_equal(cgi_vid(&req, "nope", id), 1);
	assert_string_equal(id, "00112233445566778899aabbccddeeff");
	req.cookie = "otp_vid=0011223344556677889";
	assert_int_equal(cgi_vid(&req, NULL, id), 0);
	req.cookie = "otp_vid=00112233445566778899AABBCCDDEEFF";
	assert_int_equal(cgi_vid(&req, NULL, id), 0);
	req.cookie = NULL;
	assert_int_equal(cgi_vid(&req, "", id), 0);
}

/* Of several otp_vid cookies the first that holds an id counts: a bad
 * one first (stale, another path's, planted) must not hide it. */
static void
test_vid_first_valid(void **state)
{
	static const char *const headers[] = {
	    "otp_vid=junk; otp_vid=00112233445566778899aabbccddeeff",
	    "otp_vid=; otp_vid=00112233445566778899aabbccddeeff",
	    "otp_vid=00112233445566778899aabbccddeeff00112233; "
	    "otp_vid=00112233445566778899aabbccddeeff",
	    "otp_vid=00112233445566778899AABBCCDDEEFF;otp_vid=00112233445566778899aabbccddeeff",
	    "a=1; otp_vid=x; b=2; otp_vid=y; otp_vid=00112233445566778899aabbccddeeff; "
	    "otp_vid=ffeeddccbbaa99887766554433221100",
	};
	struct cgi_req req;
	char id[OTP_ID_LEN + 1];
	size_t i;

	(void)state;
	memset(&req, 0, sizeof(req));
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		req.cookie = headers[i];
		memset(id, 0, sizeof(id));
		if (cgi_vid(&req, NULL, id) != 1)
			print_error("no id from: %s\n", headers[i]);
		assert_int_equal(cgi_vid(&req, NULL, id), 1);
		assert_string_equal(id, "00112233445566778899aabbccddeeff");
	}
	req.cookie = "otp_vid=junk; otp_vid=; otp_vid=0011";
	assert_int_equal(cgi_vid(&req, NULL, id), 0);
	/* cgi_cookie() itself still answers the first one. */
	assert_int_equal(cgi_cookie(headers[0], "otp_vid", id, sizeof(id)), 1);
	assert_string_equal(id, "junk");
}

static void
test_vid_cookie(void **state)
{
	struct cgi_req req;
	char out[256];

	(void)state;
	memset(&req, 0, sizeof(req));
	req.script_name = "/cgi-bin/otp/request.cgi";
	assert_int_equal(cgi_vid_cookie(&req, "00112233445566778899aabbccddeeff", out, sizeof(out)),
			 0);
	assert_string_equal(out, "otp_vid=00112233445566778899aabbccddeeff; Path=/cgi-bin/otp/; "
				 "HttpOnly; SameSite=Strict");
	req.https = 1;
	assert_int_equal(cgi_vid_cookie(&req, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "otp_vid=; Path=/cgi-bin/otp/; Max-Age=0; HttpOnly; "
				 "SameSite=Strict; Secure");
	/* A script name with odd characters gives the root, never a header break. */
	req.script_name = "/cgi bin/x.cgi";
	assert_int_equal(cgi_vid_cookie(&req, NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Path=/;"));
	assert_int_equal(cgi_vid_cookie(&req, "00112233445566778899aabbccddeeff", out, 20), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vid),
	    cmocka_unit_test(test_vid_first_valid),
	    cmocka_unit_test(test_vid_cookie),
	    cmocka_unit_test(test_urldecode),
	    cmocka_unit_test(test_urldecode_malformed),
	    cmocka_unit_test(test_urldecode_len),
	    cmocka_unit_test(test_form_fields),
	    cmocka_unit_test(test_form_empty_pairs),
	    cmocka_unit_test(test_form_repeated),
	    cmocka_unit_test(test_form_bad_bytes),
	    cmocka_unit_test(test_form_utf8),
	    cmocka_unit_test(test_form_value_length),
	    cmocka_unit_test(test_form_name_length),
	    cmocka_unit_test(test_form_pairs),
	    cmocka_unit_test(test_form_validator),
	    cmocka_unit_test(test_cookie),
	    cmocka_unit_test(test_cookie_names),
	    cmocka_unit_test(test_cookie_empty_and_long),
	    cmocka_unit_test(test_same_origin),
	    cmocka_unit_test(test_other_origin),
	    cmocka_unit_test(test_referer_fallback),
	    cmocka_unit_test(test_script_dir),
	    cmocka_unit_test_setup(test_read_exact, env_setup),
	    cmocka_unit_test_setup(test_read_no_length, env_setup),
	    cmocka_unit_test_setup(test_read_short, env_setup),
	    cmocka_unit_test_setup(test_read_too_large, env_setup),
	    cmocka_unit_test_setup(test_read_bad_length, env_setup),
	    cmocka_unit_test_setup(test_read_environment, env_setup),
	    cmocka_unit_test(test_param),
	    cmocka_unit_test_setup(test_read_own_list, env_setup),
	    cmocka_unit_test_setup(test_read_methods, env_setup),
	    cmocka_unit_test_setup(test_read_query_too_long, env_setup),
	    cmocka_unit_test(test_check_order),
	    cmocka_unit_test(test_check_content_type),
	    cmocka_unit_test(test_check_site_origin),
	    cmocka_unit_test(test_write_headers),
	    cmocka_unit_test(test_write_optional_headers),
	    cmocka_unit_test(test_write_refuses_injection),
	    cmocka_unit_test(test_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
