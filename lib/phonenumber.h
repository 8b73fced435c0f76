/*
 * The C API of lib/phonenumber.cc, the wrapper over libphonenumber (C++)
 * that request.cgi loads only when it parses a number (lib/number.c): what
 * a number typed in some region is, in E.164, with its country, its line
 * type and the forms it is written in.  Shared by the wrapper and its
 * loader; nothing else includes it.
 */
#ifndef OTP_PHONENUMBER_H
#define OTP_PHONENUMBER_H

#include <stddef.h>

#include "bounds.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The interface's version: the loader refuses a wrapper of another one. */
#define PHONENUMBER_ABI 2

/* libphonenumber's PhoneNumberType, in its order. */
enum phone_type {
	PHONE_FIXED_LINE,
	PHONE_MOBILE,
	PHONE_FIXED_LINE_OR_MOBILE,
	PHONE_TOLL_FREE,
	PHONE_PREMIUM_RATE,
	PHONE_SHARED_COST,
	PHONE_VOIP,
	PHONE_PERSONAL_NUMBER,
	PHONE_PAGER,
	PHONE_UAN,
	PHONE_VOICEMAIL,
	PHONE_UNKNOWN,
	PHONE_TYPE__MAX
};

/* What a parse found. */
enum phone_status {
	PHONE_OK,
	PHONE_NOT_A_NUMBER, /* no number at all, or too short or long to be one */
	PHONE_INVALID,      /* a number, but none that exists */
	PHONE_BAD_REGION,   /* the region asked for is none libphonenumber knows */
	PHONE_FAILED        /* the library could not answer (out of memory) */
};

struct phone_number {
	char e164[OTP_PHONE_MAX + 1];
	char region[4];   /* ISO 3166 alpha-2 ("GB"), "001" for +800 and such */
	int calling_code; /* 44 */
	int home;         /* the calling code of the region it was parsed in */
	char home_region[4]; /* that region ("US": DEFAULT_REGION, or COUNTRY_CODE's main one) */
	enum phone_type type;
	char national[OTP_PHONE_TEXT_MAX];      /* "07911 123456" */
	char international[OTP_PHONE_TEXT_MAX]; /* "+44 7911 123456" */
};

/*
 * Parse typed (UTF-8: spaces, punctuation, non-ASCII digits, a trunk
 * prefix or an international one as people write them) as a number of
 * region (ISO 3166 alpha-2), or of the region of calling_code ("+44")
 * when region is NULL or "".  Fills *out (zeroed first) when PHONE_OK.
 */
typedef enum phone_status phonenumber_parse_fn(const char *typed, const char *region,
					       const char *calling_code, struct phone_number *out);

/*
 * libphonenumber's example number of type in region into e164 (size
 * bytes).  Returns 1, or 0 when the region has none of that type.  For
 * tests.
 */
typedef int phonenumber_example_fn(const char *region, enum phone_type type, char *e164,
				   size_t size);

/*
 * The regions libphonenumber knows, as "AD,AE,...", into out (size
 * bytes).  Returns 0, or -1 when they do not fit.  For tests.
 */
typedef int phonenumber_regions_fn(char *out, size_t size);

struct phonenumber_api {
	int abi; /* PHONENUMBER_ABI */
	phonenumber_parse_fn *parse;
	phonenumber_example_fn *example;
	phonenumber_regions_fn *regions;
};

/* The one symbol the wrapper exports. */
const struct phonenumber_api *phonenumber_entry(void);

#ifdef __cplusplus
}
#endif

#endif
