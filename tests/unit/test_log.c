/*
 * Proves the log (log.h): one line per call, "prog: message"; control
 * characters, bytes over 0x7e and '\\' escaped as \xNN so that nothing
 * from a request splits or forges a line; a message too long cut with
 * "..."; log_debug() silent until turned on; log_value() percent-encoding
 * what could pose as more key=value fields, cut without splitting an
 * escape, terminated in any buffer; log_audit()'s fields in their order
 * with "-" for what is NULL; a sink set for a request takes the lines,
 * stderr untouched, until it is cleared.  stderr is captured with dup2
 * onto a temporary file (unit.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "unit.h"

#define PROG "test_log"

static int
setup(void **state)
{
	(void)state;
	log_init(PROG);
	log_set_debug(0);
	return 0;
}

static void
test_plain_line(void **state)
{
	char *out;

	(void)state;
	unit_cap_begin();
	log_msg("cannot open database: %s (%d)", "locked", 5);
	out = unit_cap_end();
	assert_string_equal(out, PROG ": cannot open database: locked (5)\n");
	free(out);
}

/* A request's sink takes its lines, and stderr none; cleared, stderr again. */
static void
test_sink(void **state)
{
	char buf[256] = "", *out;
	FILE *sink = fmemopen(buf, sizeof(buf), "w");
	FILE *before = stderr;

	(void)state;
	assert_non_null(sink);
	unit_cap_begin();
	log_set_sink(sink);
	log_msg("for the request %d", 1);
	log_audit("sent", "+1202555****", "10.0.0.1", NULL, "x=%d", 2);
	assert_ptr_equal(stderr, before);
	log_set_sink(NULL);
	log_msg("for the process");
	out = unit_cap_end();
	assert_string_equal(out, PROG ": for the process\n");
	free(out);
	fclose(sink);
	/* Two lines: the message, then the audit line. */
	assert_memory_equal(buf, PROG ": for the request 1\n" PROG ": audit time=",
			    strlen(PROG ": for the request 1\n" PROG ": audit time="));
	assert_non_null(strstr(buf, " event=sent phone=+1202555**** client=10.0.0.1 vid=- x=2\n"));
}

static void
test_escapes(void **state)
{
	char *out;

	(void)state;
	unit_cap_begin();
	log_msg("a%sb", "\nforged: line\r\t\x01\x1f\x7f\x80\xc3\xa9\xff\\~ ");
	out = unit_cap_end();
	assert_string_equal(out, PROG ": a\\x0aforged: line\\x0d\\x09\\x01\\x1f\\x7f\\x80\\xc3\\xa9"
				      "\\xff\\x5c~ b\n");
	/* One line, whatever was in it. */
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
}

static void
test_long_line_cut(void **state)
{
	char *big = malloc(3000), *out, want[1100];
	size_t n;

	(void)state;
	assert_non_null(big);
	/* What fits (1023 bytes) is written whole, without "...". */
	memset(big, 'a', 1023);
	big[1023] = '\0';
	unit_cap_begin();
	log_msg("%s", big);
	out = unit_cap_end();
	assert_int_equal(strlen(out), strlen(PROG ": ") + 1023 + 1);
	assert_null(strstr(out, "..."));
	free(out);
	/* One more, or far more: cut at 1023 and marked. */
	for (n = 1024; n <= 2999; n += 1975) {
		memset(big, 'a', n);
		big[n] = '\0';
		unit_cap_begin();
		log_msg("%s", big);
		out = unit_cap_end();
		snprintf(want, sizeof(want), PROG ": %.1023s...\n", big);
		assert_string_equal(out, want);
		free(out);
	}
	/* Escaped, a cut line still fits and is marked. */
	memset(big, '\n', 2000);
	big[2000] = '\0';
	unit_cap_begin();
	log_msg("%s", big);
	out = unit_cap_end();
	assert_int_equal(strlen(out), strlen(PROG ": ") + 4 * 1023 + 3 + 1);
	assert_memory_equal(out + strlen(out) - 8, "\\x0a...\n", 8);
	free(out);
	free(big);
}

static void
test_debug(void **state)
{
	char *out;

	(void)state;
	unit_cap_begin();
	log_debug("hidden %d", 1);
	out = unit_cap_end();
	assert_string_equal(out, "");
	free(out);
	log_set_debug(1);
	unit_cap_begin();
	log_debug("shown\n%d", 2);
	out = unit_cap_end();
	log_set_debug(0);
	assert_string_equal(out, PROG ": shown\\x0a2\n");
	free(out);
}

static void
test_value(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(log_value("192.0.2.1", buf, sizeof(buf)), "192.0.2.1");
	assert_string_equal(log_value("a b=c\"d%e\\f", buf, sizeof(buf)), "a%20b%3Dc%22d%25e%5Cf");
	assert_string_equal(log_value("x\n\r\t\x01\x7f\x80\xff~", buf, sizeof(buf)),
			    "x%0A%0D%09%01%7F%80%FF~");
	/* A value that would pose as another field stays one. */
	assert_string_equal(log_value("1.2.3.4 event=verified", buf, sizeof(buf)),
			    "1.2.3.4%20event%3Dverified");
	assert_string_equal(log_value("", buf, sizeof(buf)), "");
	assert_string_equal(log_value(NULL, buf, sizeof(buf)), "");
	assert_ptr_equal(log_value("a", buf, sizeof(buf)), buf);
}

static void
test_value_small_buffers(void **state)
{
	char buf[16];
	const char *r;
	size_t size, len;

	(void)state;
	r = log_value("abc", buf, 0);
	assert_string_equal(r, "");
	for (size = 1; size < sizeof(buf); size++) {
		memset(buf, 'X', sizeof(buf));
		r = log_value("a b=c d e f g h", buf, size);
		len = strlen(r);
		assert_true(len < size);
		/* Never half an escape at the end. */
		assert_false(len >= 1 && r[len - 1] == '%');
		assert_false(len >= 2 && r[len - 2] == '%');
		assert_int_equal(strncmp(r, "a%20b%3Dc%20d%20e", len), 0);
		if (size < sizeof(buf))
			assert_int_equal(buf[size], 'X');
	}
}

/* Whether s begins with an ISO 8601 UTC time within a minute of now. */
static int
recent_time(const char *s)
{
	struct tm tm;
	time_t t, now = time(NULL);
	char z = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
	    z != 'Z' || s[4] != '-' || s[10] != 'T' || s[20] != ' ')
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	return t <= now && now - t < 60;
}

static void
test_audit(void **state)
{
	static const char head[] = PROG ": audit time=";
	char *out, *rest;

	(void)state;
	unit_cap_begin();
	log_audit("sent", "+12*******43", "192.0.2.1", "00112233445566778899aabbccddeeff",
		  "message_id=%s", "40317159");
	out = unit_cap_end();
	assert_int_equal(strncmp(out, head, sizeof(head) - 1), 0);
	assert_true(recent_time(out + sizeof(head) - 1));
	rest = out + sizeof(head) - 1 + 20;
	assert_string_equal(rest, " event=sent phone=+12*******43 client=192.0.2.1 vid=00112233 "
				  "message_id=40317159\n");
	free(out);

	/* Every field NULL, no detail. */
	unit_cap_begin();
	log_audit("refused", NULL, NULL, NULL, "%s", "");
	out = unit_cap_end();
	assert_true(recent_time(out + sizeof(head) - 1));
	assert_string_equal(out + sizeof(head) - 1 + 20, " event=refused phone=- client=- vid=-\n");
	free(out);

	/* An empty vid is "-"; a client from the request is one field; a
	 * newline in the detail does not start a line. */
	unit_cap_begin();
	log_audit("verified", "+44********58", "1.2.3.4 event=forged", "", "reason=%s",
		  "x\nprog: audit");
	out = unit_cap_end();
	assert_string_equal(out + sizeof(head) - 1 + 20,
			    " event=verified phone=+44********58 client=1.2.3.4%20event%3Dforged "
			    "vid=- reason=x\\x0aprog: audit\n");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_plain_line, setup),
	    cmocka_unit_test_setup(test_escapes, setup),
	    cmocka_unit_test_setup(test_sink, setup),
	    cmocka_unit_test_setup(test_long_line_cut, setup),
	    cmocka_unit_test_setup(test_debug, setup),
	    cmocka_unit_test_setup(test_value, setup),
	    cmocka_unit_test_setup(test_value_small_buffers, setup),
	    cmocka_unit_test_setup(test_audit, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
