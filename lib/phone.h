/*
 * Phone numbers without libphonenumber: E.164, masks, line type names.
 */
#ifndef OTP_PHONE_H
#define OTP_PHONE_H

#include <stddef.h>
#include "bounds.h"
#include "phonenumber.h" /* enum phone_type */

/* Whether s is E.164: '+', then 7 (Niue's +683 4002) to 15 digits, the first not 0. */
int phone_is_e164(const char *s);

/*
 * The number for pages and logs: the '+', the first two and the last
 * two digits, stars between ("+12*******43").  Always NUL-terminates.
 */
void phone_mask(const char *e164, char *out, size_t size);

/* "mobile" for PHONE_MOBILE ... (the names ALLOWED_LINE_TYPES takes);
 * NULL out of range. */
const char *phone_type_name(int type);
/* The type named by the len bytes at name, or -1. */
int phone_type_of(const char *name, size_t len);

/*
 * The destination range of e164, whose calling code is cc (0: not known):
 * the calling code and the first digits of the national number, where
 * SMS pumping waves aim (a range of one carrier, not a whole country).
 * NANP (+1) by area code and exchange ("+1202555"), elsewhere four digits
 * ("+447911"); without cc, '+' and the first five digits.  Into out (at least
 * OTP_PREFIX_MAX + 1 bytes); "" if e164 is no E.164 number.
 */
void phone_prefix(const char *e164, int cc, char *out, size_t size);

/* Whether s is a prefix as otp-admin takes one: '+', 1 to 11 digits, not 0 first. */
int phone_prefix_ok(const char *s);

#endif
