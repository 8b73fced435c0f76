/*
 * The text message: MESSAGE_TEXT with its codes (and the WebOTP line) as
 * it is sent, and the parts it is billed as.
 */
#ifndef OTP_TEXT_H
#define OTP_TEXT_H

#include <stddef.h>

/* Telnyx sends at most this many parts of one message. */
#define TEXT_PARTS_MAX 10

/*
 * message with each {code} replaced by code and each {site} by site (or
 * "" when NULL), and with webotp_domain (or NULL) the origin-bound line
 * "@domain #code" last, so that browsers offer the code on that site
 * only.  Returns 0, or -1 (out empty) when it does not fit in size bytes.
 */
int text_compose(const char *message, const char *site, const char *webotp_domain, const char *code,
		 char *out, size_t size);

struct text_parts {
	int ucs2;     /* 1: a character is outside GSM-7 and its extension table */
	size_t units; /* GSM-7 septets (extension characters count 2), or UTF-16 units */
	int parts;    /* 160 septets in one part, else 153 a part; UCS-2: 70, else 67 */
};

/* Count the UTF-8 text s as an SMS.  Bytes that are not UTF-8 count as
 * one UCS-2 unit each. */
void text_parts(const char *s, struct text_parts *out);

#endif
