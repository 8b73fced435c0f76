/*
 * Phone numbers: the tutorial's normalisation and an E.164 check.
 */
#ifndef OTP_PHONE_H
#define OTP_PHONE_H

#include <stddef.h>
#include "bounds.h"

/*
 * Drop spaces, '-', '.', '(' and ')' from in; put country_code (such as
 * "+1") in front unless the result starts with '+'; check that it is
 * E.164: '+', then 8 to 15 digits, the first not 0.  Writes the number
 * to out and returns 0, or returns -1 (out is then empty).
 */
int phone_normalize(const char *in, const char *country_code, char out[OTP_PHONE_MAX + 1]);

/* Whether s is E.164 as above. */
int phone_is_e164(const char *s);

/*
 * The number for pages and logs: the '+', the first two and the last
 * two digits, stars between ("+12*******43").  Always NUL-terminates.
 */
void phone_mask(const char *e164, char *out, size_t size);

#endif
