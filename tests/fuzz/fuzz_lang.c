/*
 * libFuzzer harness for the visitor's language: lang_choose() on a lang
 * field and an Accept-Language header that the visitor controls.  The
 * input is split at its first two newlines into LANGUAGES, the lang field
 * and Accept-Language (a part that is missing is NULL).  A LANGUAGES that
 * lang_list_ok() refuses is replaced by one of a few real lists, so that
 * most inputs reach the choice.
 *
 * Checks, for every output size from LANG_TAG_MAX + 1 up: the answer is
 * NUL-terminated inside its buffer and nothing past it is written; it is
 * a tag (lang_tag_ok(), already lower-case) and one of the offered tags;
 * the same inputs give the same answer; Accept-Language past its first
 * LANG_ACCEPT_MAX bytes changes nothing; without a lang field or an
 * Accept-Language the answer is the first offered tag; a lang field that
 * is an offered tag (in any case) is the answer; an Accept-Language whose
 * first range, without parameters, is an offered tag gives that tag.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define OUT_MAX 64 /* the largest output buffer tried; the rest is a canary */

/* LANGUAGES as sites write it, for inputs whose own list is not one. */
static const char *const lists[] = {
    "en",          "en,es,fr,de,pt,ar",           "fr,en", "de,en,fr,es,pt,ar",
    "pt-br,pt,en", "zh-hant,sr-latn-rs,en-gb,en",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	stderr = fopen("/dev/null", "w"); /* fd 2 stays libFuzzer's */
	return 0;
}

/* A copy of the n bytes at s, NUL-terminated, in a block of its own size
 * (so that ASan sees a read past the end). */
static char *
dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Whether tag (lower-case) is an item of the comma-separated list. */
static int
listed(const char *list, const char *tag)
{
	size_t n = strlen(tag);
	const char *p = list;

	while (*p != '\0') {
		size_t m = strcspn(p, ",");

		if (m == n && !memcmp(p, tag, n))
			return 1;
		p += m;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* The first item of list into out (LANG_TAG_MAX + 1 bytes). */
static void
first_of(const char *list, char *out)
{
	size_t m = strcspn(list, ",");

	if (m > LANG_TAG_MAX)
		abort();
	memcpy(out, list, m);
	out[m] = '\0';
}

/* lang_choose() into a buffer of size bytes within OUT_MAX, checking the
 * contract of the answer; the answer into ans (OUT_MAX bytes). */
static void
choose(const char *offered, const char *asked, const char *accept, size_t size, char *ans)
{
	char out[OUT_MAX], tag[OUT_MAX];
	size_t len, i;

	memset(out, 'X', sizeof(out));
	lang_choose(offered, asked, accept, out, size);
	if (memchr(out, '\0', size) == NULL)
		abort(); /* not terminated inside its buffer */
	for (i = size; i < sizeof(out); i++)
		if (out[i] != 'X')
			abort(); /* written past its buffer */
	len = strlen(out);
	if (len == 0 || len > LANG_TAG_MAX)
		abort();
	memcpy(tag, out, len + 1);
	if (!lang_tag_ok(tag) || strcmp(tag, out) != 0)
		abort(); /* not a tag, or not lower-case */
	if (!listed(offered, out) || !lang_offered(offered, out))
		abort(); /* not one of the offered */
	memcpy(ans, out, len + 1);
}

/* Accept-Language alone (no lang field): when its first range has no
 * parameter and is an offered tag, that tag is the answer. */
static void
first_range(const char *offered, const char *accept)
{
	char ans[OUT_MAX], range[LANG_TAG_MAX + 1];
	size_t m = strcspn(accept, ","), k;
	const char *r = accept;

	choose(offered, NULL, accept, sizeof(ans), ans);
	if (m > LANG_ACCEPT_MAX || memchr(accept, ';', m) != NULL)
		return;
	while (m > 0 && (*r == ' ' || *r == '\t'))
		r++, m--;
	while (m > 0 && (r[m - 1] == ' ' || r[m - 1] == '\t'))
		m--;
	if (m == 0 || m > LANG_TAG_MAX)
		return;
	for (k = 0; k < m; k++)
		range[k] = r[k];
	range[m] = '\0';
	if (lang_tag_ok(range) && listed(offered, range) && strcmp(ans, range) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *nl;
	char *part[3] = {NULL, NULL, NULL}, *offered, *asked_tag = NULL, *cut;
	char ans[OUT_MAX], again[OUT_MAX], first[LANG_TAG_MAX + 1];
	size_t sizes[] = {LANG_TAG_MAX + 1, LANG_TAG_MAX + 2, 32, OUT_MAX};
	size_t i;
	int n;

	/* Three parts at the first two newlines; NULs end a part early, as
	 * they end an environment variable. */
	for (n = 0; n < 3 && s <= end; n++) {
		nl = n < 2 ? memchr(s, '\n', (size_t)(end - s)) : NULL;
		part[n] = dup_n(s, (size_t)((nl != NULL ? nl : end) - s));
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	offered = part[0];
	/* Its own list when it is one, written as the harness reads it (tags
	 * and single commas): lower-cased in place by lang_list_ok(). */
	if (offered[0] != '\0' && offered[0] != ',' && offered[strlen(offered) - 1] != ',' &&
	    strstr(offered, ",,") == NULL && strpbrk(offered, " \t") == NULL &&
	    lang_list_ok(offered)) {
		/* kept */
	} else {
		(void)lang_list_ok(offered); /* whatever it is, no crash */
		free(offered);
		offered = dup_n(lists[size % (sizeof(lists) / sizeof(lists[0]))],
				strlen(lists[size % (sizeof(lists) / sizeof(lists[0]))]));
	}
	part[0] = offered;
	first_of(offered, first);

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		choose(offered, part[1], part[2], sizes[i], i == 0 ? ans : again);
		if (i > 0 && strcmp(ans, again) != 0)
			abort(); /* the answer depends on the buffer's size */
	}

	/* Nothing asked: the first offered. */
	choose(offered, NULL, NULL, sizeof(again), again);
	if (strcmp(again, first) != 0)
		abort();

	/* A lang field that is an offered tag wins over anything. */
	if (part[1] != NULL && strlen(part[1]) <= LANG_TAG_MAX) {
		asked_tag = dup_n(part[1], strlen(part[1]));
		if (lang_tag_ok(asked_tag) && listed(offered, asked_tag) && strcmp(ans, asked_tag))
			abort();
	}

	if (part[2] != NULL) {
		/* Past LANG_ACCEPT_MAX bytes, Accept-Language is not read. */
		if (strlen(part[2]) > LANG_ACCEPT_MAX) {
			cut = dup_n(part[2], LANG_ACCEPT_MAX);
			choose(offered, part[1], cut, sizeof(again), again);
			if (strcmp(ans, again) != 0)
				abort();
			free(cut);
		}
		/* A first range without parameters that is an offered tag has
		 * q=1 and comes first: nothing later beats it. */
		first_range(offered, part[2]);
	}

	free(asked_tag);
	for (n = 0; n < 3; n++)
		free(part[n]);
	return 0;
}
