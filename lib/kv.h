/*
 * The reader of KEY=value lines and of lists, the syntax of otp.conf
 * (the tutorial's config.cfg) and of the language files: config.c,
 * lang.c and return_to.c share it.  It knows no key: what a key means is
 * its reader's.
 */
#ifndef OTP_KV_H
#define OTP_KV_H

#include <stddef.h>

/*
 * Call fn for each KEY=value line of buf (len bytes; comments, values
 * bare or in quotes), logging lines that are not one (name and line
 * number); stop at the first problem unless all.  Lines are at most
 * OTP_CONFIG_LINE - 1 bytes.  fn returns 0, or -1 for a problem it
 * logged.  Returns the number of problems.
 */
int kv_each(const char *buf, size_t len, const char *name, int all,
	    int (*fn)(void *arg, const char *key, const char *value, int lineno), void *arg);

/*
 * The next item of a list, separated by commas and spaces ("+1, +44"):
 * points *item at it and returns its length, or 0 at the end.  *p moves
 * past it.
 */
size_t kv_list_next(const char **p, const char **item);

#endif
