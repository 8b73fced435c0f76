/*
 * Pages: a C API over ctemplate (C++).  Every template starts with
 * {{%AUTOESCAPE context="HTML"}}, so every value set here is escaped.
 */
#ifndef OTP_PAGE_H
#define OTP_PAGE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct page;

/* A page from the template file name ("verify.html"). */
struct page *page_new(const char *name);

/* Set variable key to value (copied). */
void page_set(struct page *p, const char *key, const char *value);
void page_set_int(struct page *p, const char *key, long value);
/* Set key for the page and the templates it includes (HEADER, FOOTER). */
void page_set_global(struct page *p, const char *key, const char *value);

/*
 * Set key for every page this process renders from now on, below each
 * page's own values (ctemplate's global dictionary): values that many
 * pages share, set once.  page_clear_shared() blanks every one set so.
 */
void page_set_shared(const char *key, const char *value);
void page_clear_shared(void);

/* Show section name ({{#NAME}}...{{/NAME}}), hidden by default. */
void page_show(struct page *p, const char *name);

/*
 * Expand the page from the templates in dir.  Sets *out (malloc'd, the
 * caller frees) and *len and returns 0, or returns -1 after logging.
 */
int page_render(struct page *p, const char *dir, char **out, size_t *len);

void page_free(struct page *p);

/* Forget every template parsed so far: the next render reads them again. */
void page_forget(void);

#ifdef __cplusplus
}
#endif

#endif
