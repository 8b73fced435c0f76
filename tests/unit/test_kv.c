/*
 * Proves the reader of KEY=value lines and lists (lib/kv.c) on its own:
 * values bare or quoted, comments, blanks and CR kept out of values; a
 * line that is no assignment, too long or with a NUL counted and logged
 * with its line number, the first problem ending the read unless all;
 * the callback's own refusals counted; lists split at commas and spaces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "kv.h"
#include "unit.h"

/* What the callback saw: "KEY=value@line;" for each line, in order. */
struct seen {
	char s[2 * OTP_CONFIG_LINE];
	int refuse_line; /* the callback returns -1 for this line (0: none) */
};

static int
record(void *arg, const char *key, const char *value, int lineno)
{
	struct seen *sn = arg;
	size_t n = strlen(sn->s);

	snprintf(sn->s + n, sizeof(sn->s) - n, "%s=%s@%d;", key, value, lineno);
	return lineno == sn->refuse_line ? -1 : 0;
}

/* Read text with all, return the problems; sn and the log filled. */
static int
read_text(const char *text, int all, struct seen *sn, char **log)
{
	int problems;

	memset(sn->s, 0, sizeof(sn->s));
	unit_cap_begin();
	problems = kv_each(text, strlen(text), "test.conf", all, record, sn);
	*log = unit_cap_end();
	return problems;
}

static void
test_values(void **state)
{
	struct seen sn = {.refuse_line = 0};
	char *log;

	(void)state;
	assert_int_equal(read_text("# comment\n"
				   "\n"
				   "  \t\n"
				   "A=1\n"
				   "B = two words  # and a comment\n"
				   "C='quoted # not a comment'\n"
				   "D=\"double\"  # after\n"
				   "E=\r\n"
				   "_f9 = x\r\n"
				   "\tG\t=\t'' \n"
				   "H=last, no newline",
				   0, &sn, &log),
			 0);
	assert_string_equal(log, "");
	assert_string_equal(sn.s, "A=1@4;B=two words@5;C=quoted # not a comment@6;D=double@7;"
				  "E=@8;_f9=x@9;G=@10;H=last, no newline@11;");
	free(log);
}

static void
test_not_assignments(void **state)
{
	static const char *const bad[] = {
	    "9KEY=1", "KEY", "KEY 1", "KEY:1", "K-EY=1", "=1", "KEY='open", "KEY='a' b", "KEY=\"a'",
	};
	struct seen sn = {.refuse_line = 0};
	char *log, text[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "A=1\n%s\nB=2\n", bad[i]);
		/* The first problem ends the read... */
		assert_int_equal(read_text(text, 0, &sn, &log), 1);
		assert_string_equal(sn.s, "A=1@1;");
		assert_non_null(strstr(log, "test.conf: line 2 is not KEY=value"));
		free(log);
		/* ...unless all: then the rest is read on. */
		assert_int_equal(read_text(text, 1, &sn, &log), 1);
		assert_string_equal(sn.s, "A=1@1;B=2@3;");
		free(log);
	}
}

static void
test_long_line_and_nul(void **state)
{
	struct seen sn = {.refuse_line = 0};
	char *text = malloc(2 * OTP_CONFIG_LINE + 16), *log;
	int problems;

	(void)state;
	assert_non_null(text);
	/* The longest line taken, then one byte more. */
	memcpy(text, "A=", 2);
	memset(text + 2, 'x', OTP_CONFIG_LINE - 3);
	text[OTP_CONFIG_LINE - 1] = '\n';
	memcpy(text + OTP_CONFIG_LINE, "B=", 2);
	memset(text + OTP_CONFIG_LINE + 2, 'y', OTP_CONFIG_LINE - 2);
	memcpy(text + 2 * OTP_CONFIG_LINE, "\nC=3\n", 6);
	memset(sn.s, 0, sizeof(sn.s));
	unit_cap_begin();
	problems = kv_each(text, strlen(text), "t", 1, record, &sn);
	log = unit_cap_end();
	assert_int_equal(problems, 1);
	assert_non_null(strstr(log, "t: line 2 is too long"));
	assert_non_null(strstr(sn.s, "C=3@3;"));
	assert_int_equal(strncmp(sn.s, "A=xxx", 5), 0);
	free(log);
	free(text);

	/* A NUL inside a line: that line is refused, the next one read. */
	memset(sn.s, 0, sizeof(sn.s));
	unit_cap_begin();
	problems = kv_each("A=1\0x\nB=2\n", 10, "t", 1, record, &sn);
	log = unit_cap_end();
	assert_int_equal(problems, 1);
	assert_non_null(strstr(log, "t: line 1 has a NUL byte"));
	assert_string_equal(sn.s, "B=2@2;");
	free(log);
}

static void
test_callback_refuses(void **state)
{
	struct seen sn = {.refuse_line = 2};
	char *log;

	(void)state;
	assert_int_equal(read_text("A=1\nB=2\nC=3\n", 0, &sn, &log), 1);
	assert_string_equal(sn.s, "A=1@1;B=2@2;");
	free(log);
	assert_int_equal(read_text("A=1\nB=2\nC=3\n", 1, &sn, &log), 1);
	assert_string_equal(sn.s, "A=1@1;B=2@2;C=3@3;");
	free(log);
	/* Only len bytes are read. */
	sn.refuse_line = 0;
	memset(sn.s, 0, sizeof(sn.s));
	assert_int_equal(kv_each("A=1\nB=2\n", 4, "t", 0, record, &sn), 0);
	assert_string_equal(sn.s, "A=1@1;");
}

static void
test_lists(void **state)
{
	const char *p = " +1,, +44 ,*,x", *item;
	size_t n;

	(void)state;
	assert_int_equal((n = kv_list_next(&p, &item)), 2);
	assert_memory_equal(item, "+1", n);
	assert_int_equal((n = kv_list_next(&p, &item)), 3);
	assert_memory_equal(item, "+44", n);
	assert_int_equal((n = kv_list_next(&p, &item)), 1);
	assert_memory_equal(item, "*", n);
	assert_int_equal((n = kv_list_next(&p, &item)), 1);
	assert_memory_equal(item, "x", n);
	assert_int_equal(kv_list_next(&p, &item), 0);
	assert_int_equal(kv_list_next(&p, &item), 0);
	p = " , ";
	assert_int_equal(kv_list_next(&p, &item), 0);
	p = "";
	assert_int_equal(kv_list_next(&p, &item), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_not_assignments),
	    cmocka_unit_test(test_long_line_and_nul),
	    cmocka_unit_test(test_callback_refuses),
	    cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
