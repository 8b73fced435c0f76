/*
 * Phone numbers without libphonenumber (lib/number.c parses them): the
 * E.164 check, the mask of logs, and the names of the line types, which
 * the config and every program need without loading the library.
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
	if (n < 7 || n > 15)
		return 0;
	for (i = 1; i <= n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static const char *const phone_types[PHONE_TYPE__MAX] = {
    [PHONE_FIXED_LINE] = "fixed_line",
    [PHONE_MOBILE] = "mobile",
    [PHONE_FIXED_LINE_OR_MOBILE] = "fixed_line_or_mobile",
    [PHONE_TOLL_FREE] = "toll_free",
    [PHONE_PREMIUM_RATE] = "premium_rate",
    [PHONE_SHARED_COST] = "shared_cost",
    [PHONE_VOIP] = "voip",
    [PHONE_PERSONAL_NUMBER] = "personal_number",
    [PHONE_PAGER] = "pager",
    [PHONE_UAN] = "uan",
    [PHONE_VOICEMAIL] = "voicemail",
    [PHONE_UNKNOWN] = "unknown",
};

const char *
phone_type_name(int type)
{
	return type >= 0 && type < PHONE_TYPE__MAX ? phone_types[type] : NULL;
}

int
phone_type_of(const char *name, size_t len)
{
	int i;

	for (i = 0; i < PHONE_TYPE__MAX; i++)
		if (strlen(phone_types[i]) == len && memcmp(phone_types[i], name, len) == 0)
			return i;
	return -1;
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

void
phone_prefix(const char *e164, int cc, char *out, size_t size)
{
	char code[8];
	size_t n;

	if (size > 0)
		out[0] = '\0';
	if (!phone_is_e164(e164) || size < OTP_PREFIX_MAX + 1)
		return;
	if (cc > 0 && cc < 1000) {
		n = (size_t)snprintf(code, sizeof(code), "+%d", cc);
		if (strncmp(e164, code, n) != 0)
			n = 6;
		else
			n += cc == 1 ? 6 : 4;
	} else
		n = 6;
	if (n > strlen(e164))
		n = strlen(e164);
	memcpy(out, e164, n);
	out[n] = '\0';
}

int
phone_prefix_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 2 && n <= OTP_PREFIX_MAX && s[0] == '+' && s[1] != '0' &&
	       strspn(s + 1, "0123456789") == n - 1;
}
