/*
 * libFuzzer harness for form decoding: cgi_urldecode() and cgi_form() on
 * arbitrary bytes (not NUL-terminated, so ASan sees any read past the
 * length).  Beyond not crashing, it checks the contracts: a decoded string
 * is never longer than its input, and every value cgi_form() hands out is
 * at most OTP_FIELD_MAX bytes of text without NUL or control characters,
 * and passed its field's check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "bounds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int
valid_token(char **v, const void *arg)
{
	(void)arg;
	return strspn(*v, "0123456789ABCDEFabcdef") == strlen(*v);
}

static const struct cgi_field fields[] = {
    {"phone", NULL, 0},
    {"token", valid_token, 1},
    {"vid", NULL, 0},
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The library logs to stderr; libFuzzer and the sanitizers report
	 * through their own handle on fd 2, which this leaves alone. */
	stderr = fopen("/dev/null", "w");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size > 0 ? size : 1), *out = malloc(size + 1);
	char *values[NFIELDS];
	long n;
	size_t i, bad;

	if (in == NULL || out == NULL)
		abort();
	memcpy(in, data, size);
	n = cgi_urldecode(in, size, out);
	if (n > (long)size || n < -1)
		abort();
	if (n >= 0 && out[n] != '\0')
		abort();

	if (cgi_form(in, size, fields, NFIELDS, NULL, values, &bad) == 0) {
		for (i = 0; i < NFIELDS; i++) {
			const unsigned char *v = (const unsigned char *)values[i];
			size_t k, len;

			if (v == NULL)
				continue;
			len = strlen(values[i]);
			if (len > OTP_FIELD_MAX)
				abort();
			for (k = 0; k < len; k++)
				if (v[k] < 0x20 || v[k] == 0x7f)
					abort();
			if (fields[i].valid != NULL && !fields[i].valid(&values[i], NULL))
				abort();
			free(values[i]);
		}
	} else {
		/* Malformed: nothing; refused by a validator: its raw value alone. */
		if (bad > NFIELDS || (bad < NFIELDS && values[bad] == NULL))
			abort();
		for (i = 0; i < NFIELDS; i++) {
			if (i != bad && values[i] != NULL)
				abort();
			free(values[i]);
		}
	}
	free(in);
	free(out);
	return 0;
}
