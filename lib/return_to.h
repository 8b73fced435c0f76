/*
 * Where a finished verification may send the visitor back to: the policy
 * built once at load from RETURN_TO_ALLOWED, and the check of a
 * return_to against it.  Not configuration: config.c only reads the key.
 */
#ifndef OTP_RETURN_TO_H
#define OTP_RETURN_TO_H

#include <stddef.h>

struct return_to_policy {
	char **prefixes; /* RETURN_TO_ALLOWED's entries, in order */
	size_t nprefixes;
	int paths;          /* some entry is a path ("/account/"): only those paths */
	char *form_origins; /* " https://a.example ...": the URL entries' origins, for the
			     * CSP's form-action; NULL when there are none */
};

/*
 * Build pol from allowed (RETURN_TO_ALLOWED's value, NULL when unset): a
 * list separated by commas and spaces of path prefixes ("/account/") and
 * https URLs that end their host with '/' ("https://app.example.com/").
 * Returns 0, or -1 for an entry that is neither (pol is then empty).
 * Free with return_to_free().
 */
int return_to_parse(struct return_to_policy *pol, const char *allowed);

/*
 * Whether return_to may be sent back to: printable ASCII, at most
 * OTP_RETURN_MAX long, no "." or ".." segment (plain or percent-encoded,
 * and with an encoded '/' or '\\' counted as a separator, as servers
 * decode it), and either beginning with one of pol's prefixes or, when
 * pol names no path prefixes, a path on this site ("/x", not "//x").
 */
int return_to_ok(const struct return_to_policy *pol, const char *return_to);

/* Free what return_to_parse() made; pol is left empty. */
void return_to_free(struct return_to_policy *pol);

#endif
