/*
 * The visitor's language (lib/lang.c): the tags LANGUAGES takes, the
 * choice from a lang field and Accept-Language (quality values, a region
 * falling back to its language, "*", q=0, ties, what does not parse, the
 * bounds), the words of a language's file with the first language's for
 * what it lacks, and the cutting of long texts at a character.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lang.h"
#include "message.h"
#include "unit.h"

#define OFFERED "en,es,fr,de,pt-br,ar"

static void
assert_choice(const char *offered, const char *asked, const char *accept, const char *want)
{
	char out[LANG_TAG_MAX + 1];

	lang_choose(offered, asked, accept, out, sizeof(out));
	if (strcmp(out, want))
		print_error("offered %s asked %s accept %.60s: %s, not %s\n", offered,
			    asked != NULL ? asked : "-", accept != NULL ? accept : "-", out, want);
	assert_string_equal(out, want);
}

static void
test_tags(void **state)
{
	static const char *const good[] = {"en", "EN", "pt-BR", "zh-hant-tw", "ast", "de-1996"};
	static const char *const bad[] = {
	    "",         "e",  "engl",  "en-", "-en", "en_gb", "en-toolongsubt",
	    "en-a-b-c", "e1", "en gb", "12"};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", good[i]);
		assert_true(lang_tag_ok(buf));
	}
	snprintf(buf, sizeof(buf), "pt-BR");
	assert_true(lang_tag_ok(buf));
	assert_string_equal(buf, "pt-br");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		if (lang_tag_ok(buf))
			print_error("%s taken\n", bad[i]);
		assert_false(lang_tag_ok(buf));
	}
}

static void
test_lists(void **state)
{
	char buf[256];

	(void)state;
	snprintf(buf, sizeof(buf), "en,FR,pt-BR");
	assert_true(lang_list_ok(buf));
	assert_string_equal(buf, "en,fr,pt-br");
	snprintf(buf, sizeof(buf), "en");
	assert_true(lang_list_ok(buf));
	snprintf(buf, sizeof(buf), "en,fr,en");
	assert_false(lang_list_ok(buf)); /* each once */
	snprintf(buf, sizeof(buf), "en,EN");
	assert_false(lang_list_ok(buf));
	snprintf(buf, sizeof(buf), "english");
	assert_false(lang_list_ok(buf));
	snprintf(buf, sizeof(buf), ",");
	assert_false(lang_list_ok(buf));
	snprintf(buf, sizeof(buf), "aa,ab,ac,ad,ae,af,ag,ah,ai,aj,ak,al,am,an,ao,ap");
	assert_true(lang_list_ok(buf)); /* 16 */
	snprintf(buf, sizeof(buf), "aa,ab,ac,ad,ae,af,ag,ah,ai,aj,ak,al,am,an,ao,ap,aq");
	assert_false(lang_list_ok(buf));
}

static void
test_asked(void **state)
{
	(void)state;
	/* A lang field wins; one not offered, or not a tag, is passed over. */
	assert_choice(OFFERED, "fr", "de", "fr");
	assert_choice(OFFERED, "FR", NULL, "fr");
	assert_choice(OFFERED, "fr-CA", NULL, "fr");
	assert_choice(OFFERED, "ja", "de", "de");
	assert_choice(OFFERED, "<script>", "de", "de");
	assert_choice(OFFERED, "", NULL, "en");
	assert_choice(OFFERED, "pt", NULL, "pt-br"); /* a prefix of one offered */
}

static void
test_accept_language(void **state)
{
	(void)state;
	assert_choice(OFFERED, NULL, NULL, "en");
	assert_choice(OFFERED, NULL, "fr", "fr");
	assert_choice(OFFERED, NULL, "fr-CA,fr;q=0.9,en;q=0.8", "fr");
	assert_choice(OFFERED, NULL, "de;q=0.5, fr;q=0.9", "fr");
	assert_choice(OFFERED, NULL, "ja, de;q=0.1", "de");
	assert_choice(OFFERED, NULL, "ja", "en");
	assert_choice(OFFERED, NULL, "*", "en");
	assert_choice(OFFERED, NULL, "ja,*;q=0.5", "en");
	assert_choice(OFFERED, NULL, "fr;q=0, de", "de"); /* q=0: not this one */
	assert_choice(OFFERED, NULL, "fr;q=0.000", "en");
	assert_choice(OFFERED, NULL, "es;q=0.8, de;q=0.8", "es"); /* ties: the first */
	assert_choice(OFFERED, NULL, "es;q=0.8,de;q=1.0", "de");
	assert_choice(OFFERED, NULL, "  ar  ;  q=0.7 ", "ar");
	assert_choice(OFFERED, NULL, "pt-PT", "pt-br");
	assert_choice(OFFERED, NULL, "AR", "ar");
	assert_choice("fr,en", NULL, "ja", "fr");
}

static void
test_accept_language_malformed(void **state)
{
	static const char *const junk[] = {"",
					   ",,,,",
					   ";;;",
					   "fr;q=",
					   "fr;q=2",
					   "fr;q=1.5",
					   "fr;q=0.1234",
					   "fr;q=abc",
					   "fr;level=1",
					   "fr;q=0.5;q=0.9",
					   "f\x01r",
					   "\xff\xfe",
					   "fr-",
					   "-",
					   "=",
					   "q=1",
					   "fr;Q=1.0x",
					   "toolonglanguagetag-xxxxxxxx"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_choice(OFFERED, NULL, junk[i], "en");
	/* A good range after junk still counts. */
	assert_choice(OFFERED, NULL, "fr;q=2, de", "de");
	assert_choice(OFFERED, NULL, "fr;Q=0.5", "fr");
}

static void
test_accept_language_bounds(void **state)
{
	size_t n = 200000, i;
	char *s = malloc(n + 16), *p;

	(void)state;
	assert_non_null(s);
	/* Thousands of ranges: only the first LANG_ACCEPT_ITEMS are weighed. */
	for (p = s, i = 0; i < 5000; i++)
		p += sprintf(p, "ja;q=0.9,");
	strcpy(p, "fr");
	assert_choice(OFFERED, NULL, s, "en");
	for (p = s, i = 0; i < LANG_ACCEPT_ITEMS - 1; i++)
		p += sprintf(p, "ja,");
	strcpy(p, "fr");
	assert_choice(OFFERED, NULL, s, "fr");
	for (p = s, i = 0; i < LANG_ACCEPT_ITEMS; i++)
		p += sprintf(p, "ja,");
	strcpy(p, "fr");
	assert_choice(OFFERED, NULL, s, "en");
	/* A huge header: nothing past LANG_ACCEPT_MAX bytes is read. */
	memset(s, ' ', n);
	memcpy(s + n - 2, "fr", 3);
	assert_choice(OFFERED, NULL, s, "en");
	memset(s, ' ', LANG_ACCEPT_MAX - 2);
	memcpy(s + LANG_ACCEPT_MAX - 2, "fr", 3);
	assert_choice(OFFERED, NULL, s, "fr");
	free(s);
}

/* lang_each's calls, as "KEY=value;" in order. */
static void
each_cat(void *arg, const char *key, const char *value)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s=%s;", key, value);
}

static void
test_words(void **state)
{
	char dir[256], path[512];
	const struct lang *en, *fr;
	char *log;

	(void)state;
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/lang", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/lang/en.conf", dir);
	unit_write_file(path, "# English\nS_A='Hello'\nS_B=\"It's\"\nDIR=ltr\nS_A='Hi'\n", 50);
	snprintf(path, sizeof(path), "%s/lang/fr.conf", dir);
	unit_write_file(path, "S_A='Bonjour'\nnot a line\nS_C='x\x01y'\n", 36);
	en = lang_get(dir, "en");
	assert_non_null(en);
	assert_string_equal(lang_str(en, NULL, "S_A"), "Hi"); /* the last one */
	assert_string_equal(lang_str(en, NULL, "S_B"), "It's");
	unit_cap_begin();
	fr = lang_get(dir, "fr");
	log = unit_cap_end();
	assert_non_null(fr);
	/* Lines in error are logged and left out, the rest is used. */
	assert_non_null(strstr(log, "line 2 is not KEY=value"));
	assert_non_null(strstr(log, "control character"));
	free(log);
	assert_string_equal(lang_str(fr, en, "S_A"), "Bonjour");
	assert_string_equal(lang_str(fr, en, "S_B"), "It's"); /* from the first language */
	assert_null(lang_str(fr, en, "S_C"));
	assert_null(lang_str(fr, en, "S_NONE"));
	{
		/* Every line in its file's order, the first language's before
		 * the other's: the last call for a key is the one that holds. */
		char all[256] = "";

		lang_each(en, NULL, each_cat, all);
		assert_string_equal(all, "S_A=Hello;S_B=It's;DIR=ltr;S_A=Hi;");
		all[0] = '\0';
		lang_each(fr, en, each_cat, all);
		assert_string_equal(all, "S_A=Hello;S_B=It's;DIR=ltr;S_A=Hi;S_A=Bonjour;");
		all[0] = '\0';
		lang_each(en, en, each_cat, all); /* the first language: once */
		assert_string_equal(all, "S_A=Hello;S_B=It's;DIR=ltr;S_A=Hi;");
	}
	assert_ptr_equal(lang_get(dir, "FR"), fr); /* kept */
	unit_cap_begin();
	assert_null(lang_get(dir, "de"));
	log = unit_cap_end();
	assert_non_null(strstr(log, "TEMPLATE_DIR/lang/de.conf"));
	free(log);
	assert_null(lang_get(dir, "../en"));
	lang_forget();
	unit_rmtree(dir);
}

/* The tightest files: every byte a key, a value or an end of line, and
 * the last line without one.  Every value is kept (and ASan sees no
 * write past the text the file's values are kept in). */
static void
test_words_tight(void **state)
{
	static const char *const files[] = {"S_A=b\nS_B=\nS_C=d", "K=", "K=v", "A=1\nB=2\n"};
	char dir[256], path[512];
	const struct lang *l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		unit_tmpdir(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/lang", dir);
		assert_int_equal(mkdir(path, 0700), 0);
		snprintf(path, sizeof(path), "%s/lang/en.conf", dir);
		unit_write_file(path, files[i], strlen(files[i]));
		assert_non_null(l = lang_get(dir, "en"));
		if (i == 0) {
			assert_string_equal(lang_str(l, NULL, "S_A"), "b");
			assert_string_equal(lang_str(l, NULL, "S_B"), "");
			assert_string_equal(lang_str(l, NULL, "S_C"), "d");
		} else if (i == 1) {
			assert_string_equal(lang_str(l, NULL, "K"), "");
		} else if (i == 2) {
			assert_string_equal(lang_str(l, NULL, "K"), "v");
		} else {
			assert_string_equal(lang_str(l, NULL, "A"), "1");
			assert_string_equal(lang_str(l, NULL, "B"), "2");
		}
		lang_forget();
		unit_rmtree(dir);
	}
}

static void
test_subst(void **state)
{
	char out[64], small[7];

	(void)state;
	lang_subst("Wait {n} minutes, {n}.", "{n}", "5", out, sizeof(out));
	assert_string_equal(out, "Wait 5 minutes, 5.");
	lang_subst("none", "{n}", "5", out, sizeof(out));
	assert_string_equal(out, "none");
	lang_join(out, sizeof(out), "Wrong.", "2 tries left.");
	assert_string_equal(out, "Wrong. 2 tries left.");
	/* Cut at a character, never inside one: "é" is two bytes. */
	lang_subst("abcdeé", "{n}", "", small, sizeof(small));
	assert_string_equal(small, "abcde");
	lang_join(small, sizeof(small), "ab", "cdé");
	assert_string_equal(small, "ab cd");
}

/* What a call says (message_voice()), from the shipped language files. */
static void
test_voice_words(void **state)
{
	static const char *const tags[] = {"en", "fr", "de", "es", "pt", "ar"};
	const struct lang *l, *en = lang_get("templates", "en");
	char site[] = "example.com", out[512], small[40];
	struct config cfg;
	const char *p;
	size_t i;

	(void)state;
	assert_non_null(en);
	memset(&cfg, 0, sizeof(cfg));
	cfg.site_name = site;
	assert_int_equal(message_voice(&cfg, en, NULL, "481529", out, sizeof(out)), 0);
	assert_string_equal(out, "Your example.com verification code is: 4, 8, 1, 5, 2, 9. "
				 "Again: 4, 8, 1, 5, 2, 9.");
	assert_int_equal(message_voice(&cfg, en, NULL, NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "on example.com, press 1."));
	/* Letters one by one too; no site: the words without one. */
	cfg.site_name = NULL;
	assert_int_equal(message_voice(&cfg, en, NULL, "1A2B", out, sizeof(out)), 0);
	assert_string_equal(out, "Your verification code is: 1, A, 2, B. Again: 1, A, 2, B.");
	/* Every language speaks the code twice, and asks for a 1. */
	cfg.site_name = site;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		l = lang_get("templates", tags[i]);
		assert_non_null(l);
		assert_non_null(lang_str(l, NULL, "VOICE_LANGUAGE"));
		assert_non_null(lang_str(l, NULL, "VOICE"));
		assert_int_equal(message_voice(&cfg, l, en, "481529", out, sizeof(out)), 0);
		p = strstr(out, "4, 8, 1, 5, 2, 9");
		assert_non_null(p);
		assert_non_null(strstr(p + 1, "4, 8, 1, 5, 2, 9"));
		assert_null(strchr(out, '{'));
		assert_int_equal(message_voice(&cfg, l, en, NULL, out, sizeof(out)), 0);
		assert_non_null(strchr(out, '1'));
		assert_null(strchr(out, '{'));
	}
	/* Never a code cut short: nothing at all, and nothing left behind. */
	assert_int_equal(message_voice(&cfg, en, NULL, "481529", small, sizeof(small)), -1);
	for (i = 0; i < sizeof(small); i++)
		assert_int_equal(small[i], 0);
	assert_int_equal(message_voice(&cfg, en, NULL, "12345678901", out, sizeof(out)), -1);
	/* A site named like a placeholder stays as it is. */
	{
		char odd[] = "{digits}.example";

		cfg.site_name = odd;
		assert_int_equal(message_voice(&cfg, en, NULL, "4815", out, sizeof(out)), 0);
		assert_non_null(
		    strstr(out, "Your {digits}.example verification code is: 4, 8, 1, 5."));
	}
	lang_forget();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tags),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_asked),
	    cmocka_unit_test(test_accept_language),
	    cmocka_unit_test(test_accept_language_malformed),
	    cmocka_unit_test(test_accept_language_bounds),
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_words_tight),
	    cmocka_unit_test(test_subst),
	    cmocka_unit_test(test_voice_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
