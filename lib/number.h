/*
 * A phone number as people type it, parsed by libphonenumber (through
 * lib/phonenumber.cc, built into request.cgi and loaded on first use:
 * only a request that carries a number pays for the library).
 */
#ifndef OTP_NUMBER_H
#define OTP_NUMBER_H

#include <stddef.h>

#include "phonenumber.h"

/* The wrapper cannot be loaded (logged): an installation fault. */
#define PHONE_UNAVAILABLE (PHONE_FAILED + 1)

/*
 * Parse typed as a number of region (ISO 3166 alpha-2; NULL or "": the
 * main region of calling_code, "+44" meaning GB).  Returns an enum
 * phone_status (PHONE_FAILED, logged, also when this process lacks what
 * loading the wrapper takes: memory, a descriptor, the file size that
 * RLIMIT_FSIZE allows, with SIGXFSZ ignored), or
 * PHONE_UNAVAILABLE; *out is filled when PHONE_OK.
 */
int number_parse(const char *typed, const char *region, const char *calling_code,
		 struct phone_number *out);

/*
 * How pages show n to the visitor: in national form when it is of the
 * region it was parsed in (n->home), international otherwise, with the
 * digits between the first (two at home; the country code's and one
 * more abroad) and the last three as stars: "07*** ***456",
 * "+44 7*** ***456".  At least three stars; always NUL-terminates.
 */
void number_display(const struct phone_number *n, char *out, size_t size);

/* The wrapper's examples and regions (lib/phonenumber.h), for tests.
 * NULL when it cannot be loaded (logged). */
const struct phonenumber_api *number_api(void);

/* Where the library was loaded from (loading it if need be): "memory",
 * or the path of the wrapper's file where the host refused it from
 * memory; NULL when it cannot be loaded (logged). */
const char *number_loaded_from(void);

#endif
