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
	char buf[OTP_PHONE_MAX + 1];
	size_t n = 0;
	const char *p;

	out[0] = '\0';
	if (in == NULL || country_code == NULL)
		return -1;
	if (in[0] != '+') {
		n = strlen(country_code);
		if (n > OTP_PHONE_MAX)
			return -1;
		memcpy(buf, country_code, n);
	}
	for (p = in; *p != '\0'; p++) {
		if (strchr(" -.()", *p) != NULL)
			continue;
		if (n >= OTP_PHONE_MAX)
			return -1;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	if (!phone_is_e164(buf))
		return -1;
	memcpy(out, buf, n + 1);
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
