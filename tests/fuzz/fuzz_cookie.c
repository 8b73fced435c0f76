/*
 * libFuzzer harness for the request headers: cgi_cookie() and
 * cgi_same_origin().  The input is split at newlines into a Cookie
 * header, a cookie name, a Host, an Origin and a Referer (missing parts
 * are NULL).  Checks: a cookie value found fits its buffer and holds no
 * ';'; a request with neither Origin nor Referer passes; one with either
 * and no Host does not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	stderr = fopen("/dev/null", "w"); /* fd 2 stays libFuzzer's */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *part[5] = {NULL}, *p, out[33];
	size_t sizes[] = {0, 1, 2, sizeof(out)};
	int i, n = 0;

	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf; n < 5 && p != NULL; n++) {
		part[n] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}

	for (i = 0; i < 4; i++) {
		memset(out, 'X', sizeof(out));
		if (cgi_cookie(part[0], "otp_vid", out, sizes[i]) == 1) {
			if (sizes[i] == 0 || memchr(out, '\0', sizes[i]) == NULL ||
			    strchr(out, ';') != NULL || out[0] == '\0')
				abort();
		}
		if (part[1] != NULL && cgi_cookie(part[0], part[1], out, sizes[i]) == 1 &&
		    memchr(out, '\0', sizes[i]) == NULL)
			abort();
	}

	if (cgi_same_origin(part[2], NULL, NULL) != 1)
		abort();
	if (part[3] != NULL && cgi_same_origin(NULL, part[3], part[4]) != 0)
		abort();
	(void)cgi_same_origin(part[2], part[3], part[4]);
	(void)cgi_same_origin(part[2], NULL, part[3]);
	free(buf);
	return 0;
}
