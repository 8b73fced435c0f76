/*
 * Phone numbers: the tutorial's normalisation (drop spaces, '-', '.',
 * '(' and ')'), the country code in front, and a strict E.164 check.
 */
#include <stdio.h>
#include <string.h>

#include "phone.h"

int
phone_is_e164(const char *s)
{
	size_t i, n;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	n = strlen(s + 1);
	if (n < 8 || n > 15)
		return 0;
	for (i = 1; i <= n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
phone_normalize(const char *in, const char *country_code, char out[OTP_PHONE_MAX + 1])
{
	char digits[OTP_PHONE_MAX + 1], buf[2 * OTP_PHONE_MAX + 2];
	size_t n = 0;
	const char *p;

	out[0] = '\0';
	if (in == NULL || country_code == NULL)
		return -1;
	/* Drop the punctuation first: " +44 20..." and "(+44) 20..." have a +. */
	for (p = in; *p != '\0'; p++) {
		if (strchr(" -.()", *p) != NULL)
			continue;
		if (n >= OTP_PHONE_MAX)
			return -1;
		digits[n++] = *p;
	}
	digits[n] = '\0';
	if ((size_t)snprintf(buf, sizeof(buf), "%s%s", digits[0] == '+' ? "" : country_code,
			     digits) >= sizeof(buf) ||
	    !phone_is_e164(buf))
		return -1;
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

void
phone_mask(const char *e164, char *out, size_t size)
{
	size_t i, n;

	if (size == 0)
		return;
	if (e164 == NULL || (n = strlen(e164)) < 6 || n >= size) {
		snprintf(out, size, "%s", "+***");
		return;
	}
	for (i = 0; i < n; i++)
		out[i] = (i < 3 || i >= n - 2) ? e164[i] : '*';
	out[n] = '\0';
}
