/*
 * The visitor's language (lib/lang.h).  Accept-Language is the visitor's
 * browser talking, so it is read with bounds: its first LANG_ACCEPT_MAX
 * bytes and LANG_ACCEPT_ITEMS ranges, each checked (RFC 9110's
 * language-range and qvalue); whatever does not parse is passed over and
 * the answer falls back to the first language offered.  No request fails
 * for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "lang.h"
#include "log.h"

#define LANG_CACHE    16         /* languages kept by one process */
#define LANG_KEYS     256        /* keys in one language's file */
#define LANG_FILE_MAX (64 << 10) /* bytes of one language's file */

static int
lang_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
lang_is_alnum(int c)
{
	return lang_is_alpha(c) || (c >= '0' && c <= '9');
}

int
lang_tag_ok(char *s)
{
	size_t i = 0, n, subtags = 0;

	if (strlen(s) > LANG_TAG_MAX)
		return 0;
	for (n = 0; lang_is_alpha((unsigned char)s[i]); i++, n++)
		;
	if (n < 2 || n > 3)
		return 0;
	while (s[i] == '-') {
		for (i++, n = 0; lang_is_alnum((unsigned char)s[i]); i++, n++)
			;
		if (n < 1 || n > 8 || ++subtags > 2)
			return 0;
	}
	if (s[i] != '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	return 1;
}

int
lang_list_ok(char *list)
{
	char tag[LANG_TAG_MAX + 1];
	const char *p = list, *item;
	size_t n;
	int count = 0;

	while ((n = kv_list_next(&p, &item)) > 0) {
		if (n > LANG_TAG_MAX || ++count > 16)
			return 0;
		memcpy(tag, item, n);
		tag[n] = '\0';
		if (!lang_tag_ok(tag))
			return 0;
		memcpy(list + (item - list), tag, n); /* lower-cased in place */
		/* Each once: offered before this one? */
		{
			const char *q = list, *other;
			size_t m;

			while ((m = kv_list_next(&q, &other)) > 0 && other < item)
				if (m == n && !memcmp(other, tag, n))
					return 0;
		}
	}
	return count > 0 && p[0] == '\0';
}

/* The index in offered of the tag of n bytes at t (lower-case), or -1. */
static int
lang_index(const char *offered, const char *t, size_t n)
{
	const char *p = offered, *item;
	size_t m;
	int i = 0;

	while ((m = kv_list_next(&p, &item)) > 0) {
		if (m == n && !memcmp(item, t, n))
			return i;
		i++;
	}
	return -1;
}

/* The item of offered at index i into out. */
static void
lang_item(const char *offered, int i, char *out, size_t size)
{
	const char *p = offered, *item = offered;
	size_t m = strcspn(offered, ",");

	while ((m = kv_list_next(&p, &item)) > 0 && i-- > 0)
		;
	snprintf(out, size, "%.*s", (int)m, item);
}

/*
 * The offered language a range (lower-case, n bytes) stands for: itself,
 * else its primary tag ("fr-ca": "fr"), else the first offered tag of that
 * language ("pt", "pt-pt": "pt-br"); "*" the first offered.  -1 if none.
 */
static int
lang_match(const char *offered, const char *r, size_t n)
{
	const char *p = offered, *item;
	size_t m, primary;
	int i;

	if (n == 1 && r[0] == '*')
		return 0;
	if ((i = lang_index(offered, r, n)) >= 0)
		return i;
	primary = strcspn(r, "-");
	if (primary < n && (i = lang_index(offered, r, primary)) >= 0)
		return i;
	/* "pt" and "pt-PT" for "pt-br": the same language, another region. */
	for (i = 0; (m = kv_list_next(&p, &item)) > 0; i++)
		if (m > primary && item[primary] == '-' && !memcmp(item, r, primary))
			return i;
	return -1;
}

/* A range of Accept-Language (n bytes at s, spaces trimmed) into out,
 * lower-cased: 1, or 0 if it is not one. */
static int
lang_range(const char *s, size_t n, char *out)
{
	size_t i;

	if (n == 1 && s[0] == '*') {
		out[0] = '*';
		out[1] = '\0';
		return 1;
	}
	if (n == 0 || n > LANG_TAG_MAX)
		return 0;
	for (i = 0; i < n; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	out[n] = '\0';
	/* 1*8ALPHA *("-" 1*8alphanum), as RFC 4647 has it; tags only here. */
	return lang_tag_ok(out);
}

/* A qvalue (n bytes at s): 0 to 1000, or -1 if it is not one. */
static int
lang_qvalue(const char *s, size_t n)
{
	size_t i;
	int q;

	if (n == 0 || (s[0] != '0' && s[0] != '1') || (n > 1 && s[1] != '.') || n > 5)
		return -1;
	q = (s[0] - '0') * 1000;
	for (i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * (i == 2 ? 100 : i == 3 ? 10 : 1);
	}
	return q <= 1000 ? q : -1;
}

/* Trim spaces and tabs around the n bytes at *s. */
static size_t
lang_trim(const char **s, size_t n)
{
	while (n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		n--;
	}
	while (n > 0 && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
		n--;
	return n;
}

/* The best of offered by accept: its index, or -1. */
static int
lang_accept(const char *offered, const char *accept)
{
	const char *p = accept, *stop = accept + strnlen(accept, LANG_ACCEPT_MAX);
	int items = 0, best = -1, best_q = 0;

	while (p < stop && items++ < LANG_ACCEPT_ITEMS) {
		const char *comma = memchr(p, ',', (size_t)(stop - p));
		const char *end = comma != NULL ? comma : stop, *semi, *r = p, *v;
		char range[LANG_TAG_MAX + 1];
		size_t rn, vn;
		int q = 1000, i;

		p = comma != NULL ? comma + 1 : stop;
		/* language-range [ OWS ";" OWS "q=" qvalue ]: no other parameter. */
		semi = memchr(r, ';', (size_t)(end - r));
		rn = lang_trim(&r, (size_t)((semi != NULL ? semi : end) - r));
		if (!lang_range(r, rn, range))
			continue;
		if (semi != NULL) {
			v = semi + 1;
			vn = lang_trim(&v, (size_t)(end - v));
			if (vn < 3 || (v[0] != 'q' && v[0] != 'Q') || v[1] != '=' ||
			    (q = lang_qvalue(v + 2, vn - 2)) < 0)
				continue;
		}
		/* The first of the highest weight wins; q=0 is "not this one". */
		if (q == 0 || q <= best_q)
			continue;
		if ((i = lang_match(offered, range, strlen(range))) >= 0) {
			best = i;
			best_q = q;
		}
	}
	return best;
}

void
lang_choose(const char *offered, const char *asked, const char *accept, char *out, size_t size)
{
	char tag[LANG_TAG_MAX + 1];
	int i = -1;

	if (asked != NULL && strlen(asked) <= LANG_TAG_MAX) {
		snprintf(tag, sizeof(tag), "%s", asked);
		if (lang_tag_ok(tag))
			i = lang_match(offered, tag, strlen(tag));
	}
	if (i < 0 && accept != NULL)
		i = lang_accept(offered, accept);
	lang_item(offered, i < 0 ? 0 : i, out, size);
}

int
lang_offered(const char *offered, const char *tag)
{
	return lang_index(offered, tag, strlen(tag)) >= 0;
}

/* ---- the words of a language ------------------------------------------- */

struct lang_kv {
	char *key;
	char *value;
	size_t key_len; /* strlen(key): most keys differ in it, so few are compared */
};

struct lang {
	char tag[LANG_TAG_MAX + 1];
	char *dir; /* TEMPLATE_DIR it was read from */
	struct lang_kv kv[LANG_KEYS];
	int n;
	/* Every key and value, one after another: one allocation of the
	 * file's size, not two a line (a tenth of a page's instructions). */
	char *text;
	size_t used, size;
	unsigned long serial; /* lang_serial() */
	const char *name;     /* the file's path, for its log lines */
};

/* s (len bytes and its NUL) into l->text; NULL when it does not fit. */
static char *
lang_keep(struct lang *l, const char *s, size_t len)
{
	char *p;

	if (len >= l->size - l->used)
		return NULL;
	p = l->text + l->used;
	memcpy(p, s, len + 1);
	l->used += len + 1;
	return p;
}

static struct lang *lang_cache[LANG_CACHE];
static unsigned long lang_serials; /* the last lang_serial() given */

/* One KEY=value of a language's file. */
static int
lang_line(void *arg, const char *key, const char *value, int lineno)
{
	struct lang *l = arg;
	int i;

	for (i = 0; value[i] != '\0'; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) {
			log_msg("%s: line %d: %s has a control character", l->name, lineno, key);
			return -1;
		}
	/* A key given twice is kept twice: lang_str() finds the later one,
	 * lang_each() calls with it after the earlier. */
	if (l->n == LANG_KEYS) {
		log_msg("%s: more than %d KEY=value lines", l->name, LANG_KEYS);
		return -1;
	}
	/* The text has room for every line: each keeps at most its own
	 * length and its end of line. */
	l->kv[l->n].key_len = strlen(key);
	if ((l->kv[l->n].key = lang_keep(l, key, l->kv[l->n].key_len)) == NULL ||
	    (l->kv[l->n].value = lang_keep(l, value, (size_t)i)) == NULL) {
		log_msg("%s: line %d: no room for %s", l->name, lineno, key);
		return -1;
	}
	l->n++;
	return 0;
}

/* The value of the last line of key in l, or NULL. */
static const char *
lang_find(const struct lang *l, const char *key)
{
	size_t len = strlen(key);
	int i;

	for (i = l != NULL ? l->n - 1 : -1; i >= 0; i--)
		if (l->kv[i].key_len == len && !memcmp(l->kv[i].key, key, len))
			return l->kv[i].value;
	return NULL;
}

static void
lang_free(struct lang *l)
{
	if (l == NULL)
		return;
	free(l->text);
	free(l->dir);
	free(l);
}

/* Read dir/lang/<tag>.conf into a new lang, or NULL after logging. */
static struct lang *
lang_read(const char *dir, const char *tag)
{
	char path[4096], *buf;
	struct lang *l;
	size_t len;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/lang/%s.conf", dir, tag) >= (int)sizeof(path)) {
		log_msg("cannot read language %s: TEMPLATE_DIR too long", tag);
		return NULL;
	}
	if ((f = fopen(path, "re")) == NULL) {
		log_msg("cannot read language %s (TEMPLATE_DIR/lang/%s.conf): %s: %s", tag, tag,
			path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(LANG_FILE_MAX + 1);
	len = fread(buf, 1, LANG_FILE_MAX + 1, f);
	if (ferror(f) || len > LANG_FILE_MAX) {
		log_msg("cannot read language %s: %s: %s", tag, path,
			ferror(f) ? "read error" : "larger than 64 KiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	l = xcalloc(1, sizeof(*l));
	l->serial = ++lang_serials;
	snprintf(l->tag, sizeof(l->tag), "%s", tag);
	l->dir = xstrdup(dir);
	/* A line "K=v\n" keeps "K\0v\0": no more than its bytes, and the
	 * last line, without its end of line, one more. */
	l->size = len + 2;
	l->text = xmalloc(l->size);
	l->name = path;
	/* A line in error is logged and left out; the rest is used. */
	kv_each(buf, len, path, 1, lang_line, l);
	l->name = NULL;
	free(buf);
	return l;
}

const struct lang *
lang_get(const char *dir, const char *tag)
{
	char t[LANG_TAG_MAX + 1];
	int i;

	if (strlen(tag) > LANG_TAG_MAX)
		return NULL;
	snprintf(t, sizeof(t), "%s", tag);
	if (!lang_tag_ok(t))
		return NULL;
	for (i = 0; i < LANG_CACHE && lang_cache[i] != NULL; i++)
		if (!strcmp(lang_cache[i]->tag, t) && !strcmp(lang_cache[i]->dir, dir))
			return lang_cache[i];
	if (i == LANG_CACHE) {
		lang_forget();
		i = 0;
	}
	return lang_cache[i] = lang_read(dir, t);
}

unsigned long
lang_serial(const struct lang *l)
{
	return l != NULL ? l->serial : 0;
}

const char *
lang_str(const struct lang *l, const struct lang *base, const char *key)
{
	const char *v = lang_find(l, key);

	return v != NULL ? v : lang_find(base, key);
}

void
lang_each(const struct lang *l, const struct lang *base,
	  void (*fn)(void *arg, const char *key, const char *value), void *arg)
{
	int i;

	for (i = 0; base != NULL && base != l && i < base->n; i++)
		fn(arg, base->kv[i].key, base->kv[i].value);
	for (i = 0; l != NULL && i < l->n; i++)
		fn(arg, l->kv[i].key, l->kv[i].value);
}

/* Append the n bytes at s to out (at *len of size), cut at a character. */
static void
lang_put(char *out, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + n >= size) {
		n = size - 1 - *len;
		/* Not inside a UTF-8 sequence: back to the start of the character. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
}

void
lang_subst(const char *tpl, const char *ph, const char *value, char *out, size_t size)
{
	size_t len = 0, pn = strlen(ph);
	const char *p;

	if (size == 0)
		return;
	out[0] = '\0';
	while ((p = strstr(tpl, ph)) != NULL && pn > 0) {
		lang_put(out, size, &len, tpl, (size_t)(p - tpl));
		lang_put(out, size, &len, value, strlen(value));
		tpl = p + pn;
	}
	lang_put(out, size, &len, tpl, strlen(tpl));
}

void
lang_join(char *out, size_t size, const char *a, const char *b)
{
	size_t len = 0;

	if (size == 0)
		return;
	out[0] = '\0';
	lang_put(out, size, &len, a, strlen(a));
	lang_put(out, size, &len, " ", 1);
	lang_put(out, size, &len, b, strlen(b));
}

void
lang_forget(void)
{
	int i;

	for (i = 0; i < LANG_CACHE; i++) {
		lang_free(lang_cache[i]);
		lang_cache[i] = NULL;
	}
}
