/*
 * What the site gets back: a signed assertion that a phone number was
 * verified, and the signature a site puts on a number it fixes.
 *
 *	v1.<base64url(payload)>.<base64url(HMAC-SHA256(SIGNING_KEY, "v1." payload64))>
 *
 * payload is JSON: {"phone":"+12025550143","verified_at":1795696655,
 * "vid":"<32 hex>"[,"return_to":"<the return_to the site gave>"]}.  A
 * site accepts an assertion when the MAC checks, it is younger than
 * RESULT_MAX_AGE, its vid was not seen before, and (when the site put a
 * state of its session in return_to) return_to is the one it gave.
 * A phone signature is hex(HMAC-SHA256(SIGNING_KEY, E.164 number)).
 * This is ASSERTION_FORMAT=v1; jwt.h makes and reads the same assertion
 * as a JWT, with the base64url and time helpers below.
 */
#ifndef OTP_ASSERTION_H
#define OTP_ASSERTION_H

#include <stddef.h>
#include <time.h>

#include "bounds.h"

/* Longest assertion made or read: a JWT (jwt.h) with the longest
 * ASSERTION_ISSUER, ASSERTION_AUDIENCE and return_to fits. */
#define ASSERTION_MAX 3072

struct assertion {
	char phone[OTP_PHONE_MAX + 1];
	time_t verified_at;
	char vid[OTP_ID_LEN + 1];
	char return_to[OTP_RETURN_MAX + 1]; /* "" when the site gave none */
};

/* Make the assertion for a into out.  Returns 0 or -1. */
int assertion_make(const char *key, const struct assertion *a, char *out, size_t size);

/*
 * Check s: version, MAC (in constant time), payload, age (at most
 * max_age seconds old, not more than a minute in the future).  Fills a
 * and returns 0, or returns -1 with *why saying what failed.
 */
int assertion_check(const char *key, const char *s, time_t now, long max_age, struct assertion *a,
		    const char **why);

/* base64url without padding of in (len bytes) into out (size bytes,
 * NUL-terminated).  Returns 0, or -1 if out is too small. */
int assertion_b64url(const unsigned char *in, size_t len, char *out, size_t size);

/* Decode base64url (len characters, no padding) into out (size bytes);
 * returns the length, or -1 if malformed, longer than ASSERTION_MAX or
 * out is too small. */
long assertion_unb64url(const char *in, size_t len, unsigned char *out, size_t size);

/*
 * The JSON number at as a time: a whole number of seconds from 0 to 2^53
 * (where doubles stop holding every integer); a fraction, a negative or
 * anything else is no time the programs write.  Returns 0 with *t set,
 * or -1.
 */
struct cJSON;
int assertion_time(const struct cJSON *at, time_t *t);

/* hex(HMAC-SHA256(key, phone)) into out.  Returns 0 or -1. */
int assertion_phone_sig(const char *key, const char *phone, char out[2 * OTP_MAC_LEN + 1]);

/* Whether sig is the phone signature of phone (constant time). */
int assertion_phone_sig_ok(const char *key, const char *phone, const char *sig);

#endif
