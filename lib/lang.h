/*
 * The visitor's language: which of LANGUAGES a request gets (a lang
 * field or query parameter, else Accept-Language, else the first of
 * LANGUAGES), and the words of each language, one file a language in
 * TEMPLATE_DIR/lang/<tag>.conf, read with otp.conf's syntax (kv.h).  A
 * site adds a language by adding its file and naming it in LANGUAGES.
 */
#ifndef OTP_LANG_H
#define OTP_LANG_H

#include <stddef.h>

#define LANG_TAG_MAX      15   /* "pt-br", "zh-hant": a primary tag and a subtag or two */
#define LANG_ACCEPT_MAX   4096 /* bytes of Accept-Language read; the rest is ignored */
#define LANG_ACCEPT_ITEMS 32   /* ranges of Accept-Language weighed; the rest are ignored */

/* Whether s is a language tag this program takes: 2 or 3 letters, then
 * up to two "-" subtags of 1 to 8 letters or digits; lower-cased in place. */
int lang_tag_ok(char *s);

/* Whether list is a comma-separated list of such tags (LANGUAGES), at
 * most 16, each once; lower-cased in place. */
int lang_list_ok(char *list);

/*
 * The language of a request, of offered (LANGUAGES: lower-case tags,
 * comma-separated, the first the fallback): asked (a lang field, or
 * NULL) when offered, else the best of accept (Accept-Language, or NULL;
 * quality values honoured, "fr-CA" falling back to "fr", "*" the first
 * offered), else the first offered.  Never fails: anything unknown or
 * malformed is passed over.  Into out (at least LANG_TAG_MAX + 1 bytes).
 */
void lang_choose(const char *offered, const char *asked, const char *accept, char *out,
		 size_t size);

/* Whether tag is one of offered. */
int lang_offered(const char *offered, const char *tag);

struct lang;

/*
 * The words of language tag in dir/lang/<tag>.conf, read on first use
 * and kept.  NULL after logging when the file cannot be read or parsed.
 */
const struct lang *lang_get(const char *dir, const char *tag);

/* The value of key in l, else in base (may be NULL), else NULL. */
const char *lang_str(const struct lang *l, const struct lang *base, const char *key);

/*
 * Call fn for every line of base (may be NULL), then every line of l, each
 * in the order of its file: a later call for a key overrides an earlier
 * one (a page's words are set so, in one pass, with no lookups).
 */
void lang_each(const struct lang *l, const struct lang *base,
	       void (*fn)(void *arg, const char *key, const char *value), void *arg);

/* tpl with every ph replaced by value, into out (cut, if need be, at a
 * character, never inside one). */
void lang_subst(const char *tpl, const char *ph, const char *value, char *out, size_t size);

/* a, a space and b into out, cut as lang_subst() cuts. */
void lang_join(char *out, size_t size, const char *a, const char *b);

/* A number of l's own: no other file read by this process has it, also
 * after lang_forget() (0 for NULL). */
unsigned long lang_serial(const struct lang *l);

/* Forget every language read (a FastCGI process, its config changed). */
void lang_forget(void);

#endif
