/*
 * libFuzzer harness for phone numbers: number_parse() (libphonenumber,
 * through the wrapper request.cgi carries) with three country codes and a
 * DEFAULT_REGION, number_display() of what parses, phone_is_e164() and
 * phone_mask() with every small buffer size.  Checks: what parses is
 * E.164 with terminated forms and a display with stars; what does not
 * leaves the number empty; a mask is terminated within its buffer and
 * shows no digit between the first two and the last two.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"
#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Mask s into buffers of every size up to 24 and check each. */
static void
check_mask(const char *s)
{
	char out[24];
	size_t size, len = strlen(s), i;

	for (size = 0; size <= sizeof(out); size++) {
		memset(out, 'X', sizeof(out));
		phone_mask(s, out, size);
		if (size == 0) {
			if (out[0] != 'X')
				abort();
			continue;
		}
		if (memchr(out, '\0', size) == NULL || (size < sizeof(out) && out[size] != 'X'))
			abort();
		/* A full mask keeps the ends; nothing in between may show. */
		if (strlen(out) == len && len >= 6) {
			for (i = 3; i + 2 < len; i++)
				if (out[i] != '*')
					abort();
		} else if (strspn(out, "+*") != strlen(out)) {
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cc[] = {"+1", "+44", "+353"};
	char *in = malloc(size + 1), shown[OTP_PHONE_TEXT_MAX];
	struct phone_number n;
	size_t i;
	int rc;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	for (i = 0; i < sizeof(cc) / sizeof(cc[0]); i++) {
		rc = number_parse(in, i == 2 ? "DE" : NULL, cc[i], &n);
		if (rc == PHONE_OK) {
			if (!phone_is_e164(n.e164) || n.calling_code <= 0 ||
			    memchr(n.region, '\0', sizeof(n.region)) == NULL ||
			    memchr(n.national, '\0', sizeof(n.national)) == NULL ||
			    memchr(n.international, '\0', sizeof(n.international)) == NULL)
				abort();
			check_mask(n.e164);
			number_display(&n, shown, sizeof(shown));
			if (memchr(shown, '\0', sizeof(shown)) == NULL ||
			    strchr(shown, '*') == NULL)
				abort();
		} else if (rc == PHONE_UNAVAILABLE || rc == PHONE_BAD_REGION || n.e164[0] != '\0') {
			abort(); /* the wrapper loads, the regions exist */
		}
	}
	(void)phone_is_e164(in);
	check_mask(in);
	free(in);
	return 0;
}
