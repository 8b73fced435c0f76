/*
 * libFuzzer harness for phone numbers: phone_normalize() with two country
 * codes, phone_is_e164() and phone_mask() with every small buffer size.
 * Checks: what normalises is E.164 and fits OTP_PHONE_MAX; what does not
 * leaves an empty string; a mask is terminated within its buffer and shows
 * no digit between the first two and the last two.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	char *in = malloc(size + 1), out[OTP_PHONE_MAX + 1];
	size_t i;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	for (i = 0; i < sizeof(cc) / sizeof(cc[0]); i++) {
		memset(out, 'X', sizeof(out));
		if (phone_normalize(in, cc[i], out) == 0) {
			if (!phone_is_e164(out) || strlen(out) > OTP_PHONE_MAX)
				abort();
			check_mask(out);
		} else if (out[0] != '\0') {
			abort();
		}
	}
	(void)phone_is_e164(in);
	check_mask(in);
	free(in);
	return 0;
}
