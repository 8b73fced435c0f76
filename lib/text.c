/*
 * The text message as sent and as billed.  GSM 03.38: the 7-bit default
 * alphabet carries 160 characters in one part, 153 a part when the text
 * needs several (the rest of each part is the header that joins them);
 * the characters of its extension table take two septets; a single
 * character outside both makes the whole text UCS-2: 70 UTF-16 units in
 * one part, 67 a part.  Telnyx bills each part and sends at most 10.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

int
text_compose(const char *message, const char *site, const char *webotp_domain, const char *code,
	     char *out, size_t size)
{
	const char *p = message, *at, *c, *s;
	size_t n = 0;
	int w;

	/* The next placeholder, whichever comes first: the same length. */
	for (;;) {
		c = strstr(p, "{code}");
		s = strstr(p, "{site}");
		if ((at = c == NULL || (s != NULL && s < c) ? s : c) == NULL)
			break;
		w = snprintf(out + n, size - n, "%.*s%s", (int)(at - p), p,
			     at == c        ? code
			     : site != NULL ? site
					    : "");
		if (w < 0 || (size_t)w >= size - n)
			goto toolong;
		n += (size_t)w;
		p = at + 6;
	}
	if (webotp_domain != NULL)
		w = snprintf(out + n, size - n, "%s\n\n@%s #%s", p, webotp_domain, code);
	else
		w = snprintf(out + n, size - n, "%s", p);
	if (w >= 0 && (size_t)w < size - n)
		return 0;
toolong:
	out[0] = '\0';
	return -1;
}

/* The basic table's characters beyond ASCII. */
static const uint32_t text_gsm_extra[] = {
    0x00a3, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, 0x00f2, 0x00c7, 0x00d8, 0x00f8,
    0x00c5, 0x00e5, 0x0394, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8, 0x03a3,
    0x0398, 0x039e, 0x00c6, 0x00e6, 0x00df, 0x00c9, 0x00a4, 0x00a1, 0x00c4, 0x00d6,
    0x00d1, 0x00dc, 0x00a7, 0x00bf, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};
static const uint32_t text_gsm_ext[] = {'\f', '^', '{', '}', '\\', '[', '~', ']', '|', 0x20ac};

/* Septets of code point c in GSM-7 (1 or 2), or 0 when it has none. */
static int
text_septets(uint32_t c)
{
	size_t i;

	for (i = 0; i < sizeof(text_gsm_ext) / sizeof(text_gsm_ext[0]); i++)
		if (c == text_gsm_ext[i])
			return 2;
	if (c == '\n' || c == '\r')
		return 1;
	if (c >= 0x20 && c < 0x7f)
		return c != '`'; /* the one printable ASCII character GSM-7 lacks */
	for (i = 0; i < sizeof(text_gsm_extra) / sizeof(text_gsm_extra[0]); i++)
		if (c == text_gsm_extra[i])
			return 1;
	return 0;
}

/* The code point at *s (UTF-8), moving *s past it; -1 (one byte taken)
 * for a byte that starts no valid sequence. */
static long
text_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t c;
	int n, i;

	if (p[0] < 0x80) {
		*s += 1;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 1, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 2, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 3, c = p[0] & 0x07;
	else
		goto bad;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			goto bad;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((n == 2 && c < 0x800) || (n == 3 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*s += n + 1;
	return (long)c;
bad:
	*s += 1;
	return -1;
}

/* What character c takes: septets in GSM-7, else UTF-16 units. */
static size_t
text_width(long c, int gsm)
{
	if (gsm)
		return (size_t)text_septets((uint32_t)c);
	return c > 0xffff ? 2 : 1;
}

/*
 * The parts s fills at per_part each, a character never split between
 * two (an extension character's two septets, a surrogate pair).
 */
static int
text_fill(const char *s, int gsm, size_t per_part)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0, w;
	int parts = 1;

	while (*p != '\0') {
		w = text_width(text_next(&p), gsm);
		if (used + w > per_part) {
			parts++;
			used = 0;
		}
		used += w;
	}
	return parts;
}

void
text_parts(const char *s, struct text_parts *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t septets = 0, units = 0;
	int gsm = 1, k;
	long c;

	while (*p != '\0') {
		c = text_next(&p);
		units += c > 0xffff ? 2 : 1;
		if (c < 0 || (k = text_septets((uint32_t)c)) == 0)
			gsm = 0;
		else
			septets += (size_t)k;
	}
	out->ucs2 = !gsm;
	out->units = gsm ? septets : units;
	if (out->units <= (gsm ? 160u : 70u))
		out->parts = 1;
	else
		out->parts = text_fill(s, gsm, gsm ? 153 : 67);
}
